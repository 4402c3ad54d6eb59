//! Search across a person's projects, tasks, notes and brain dumps: PostgreSQL
//! full text (English stemming after `unaccent`, so "cafe" finds "Café"), every
//! word matched as a prefix, ranked with titles above bodies, and the matched
//! words marked in the title and a snippet.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What is searched for: trimmed, 1 to 200 characters.
pub type Query = crate::text::Text<1, { crate::limits::SEARCH_QUERY }>;

text_enum!(HitKind {
    Project = "project" / "Project",
    Task = "task" / "Task",
    Note = "note" / "Note",
    BrainDump = "brain_dump" / "Brain dump",
});

/// A piece of a title or snippet; `mark` is set on the words that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Fragment {
    pub text: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mark: bool,
}

/// One thing found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hit {
    pub kind: HitKind,
    pub id: Uuid,
    /// The title (a note without one: its first words; a brain dump: its first line).
    pub title: Vec<Fragment>,
    /// Where the words were found in the body, a fragment or two ("" when only the title matched).
    pub snippet: Vec<Fragment>,
    /// The project a task or note belongs to.
    pub project: Option<String>,
    /// Where it is shown in the app (a path).
    pub href: String,
    /// Higher is a better match.
    pub rank: f32,
}

/// A page of results, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Results {
    pub items: Vec<Hit>,
    /// How many match, in all.
    pub total: i64,
}

impl Hit {
    /// The title as plain text.
    pub fn title_text(&self) -> String {
        self.title.iter().map(|f| f.text.as_str()).collect()
    }
}

/// Where ts_headline marks a match (characters nobody types).
const START: char = '\u{27E6}';
const STOP: char = '\u{27E7}';

/// Split ts_headline's output into fragments at its marks.
pub fn fragments(marked: &str) -> Vec<Fragment> {
    let mut out: Vec<Fragment> = Vec::new();
    let mut push = |text: &str, mark: bool| {
        if !text.is_empty() {
            out.push(Fragment { text: text.to_string(), mark });
        }
    };
    let mut rest = marked;
    while let Some(start) = rest.find(START) {
        push(&rest[..start], false);
        let after = &rest[start + START.len_utf8()..];
        let stop = after.find(STOP).unwrap_or(after.len());
        push(&after[..stop], true);
        rest = after.get(stop + STOP.len_utf8()..).unwrap_or("");
    }
    push(rest, false);
    out
}

#[cfg(feature = "server")]
pub mod service {
    use super::*;
    use crate::Error;
    use sqlx::PgConnection;

    /// The best `limit` matches after `offset`, and how many there are. Only
    /// `user_id`'s own rows, none deleted (nor in a deleted project).
    pub async fn search(
        conn: &mut PgConnection,
        user_id: Uuid,
        query: &Query,
        limit: i64,
        offset: i64,
    ) -> Result<Results, Error> {
        // `q` matches when every word's stem is there, or every word as typed
        // begins a word ("caf" finds "café"); `mark` marks any word that begins
        // with a typed word or its stem.
        let rows = sqlx::query!(
            r#"with words as (
                   select array(select lexeme from unnest(to_tsvector('buildos_search', $2))) as stems,
                          array(select lexeme from unnest(to_tsvector('buildos_words', $2))) as words
               ), q as (
                   select to_tsquery('simple', array_to_string(array(select quote_literal(s) from unnest(stems) s), ' & '))
                          || to_tsquery('simple', array_to_string(array(select quote_literal(w) || ':*' from unnest(words) w), ' & ')) as q,
                          to_tsquery('simple', array_to_string(array(select quote_literal(x) || ':*' from unnest(stems || words) x), ' | ')) as mark
                   from words
               ), hits as (
                   select 'project' as kind, p.id, p.name as title, p.description || E'\n' || p.executive_summary || E'\n' || p.context as body,
                          null::text as project, '/projects/' || p.slug as href,
                          ts_rank('{0.05, 0.1, 0.3, 1.0}', p.search, q.q) as rank, p.updated_at
                   from projects p, q
                   where p.user_id = $1 and p.deleted_at is null and p.search @@ q.q
                   union all
                   select 'task', t.id, t.title, t.description || E'\n' || t.details, pr.name, '/tasks/' || t.id,
                          ts_rank('{0.05, 0.1, 0.3, 1.0}', t.search, q.q), t.updated_at
                   from tasks t cross join q left join projects pr on pr.id = t.project_id and pr.user_id = t.user_id
                   where t.user_id = $1 and t.deleted_at is null and pr.deleted_at is null and t.search @@ q.q
                   union all
                   select 'note', n.id, case when n.title = '' then left(n.body, 60) else n.title end, n.body, pr.name,
                          '/projects/' || pr.slug || '#note-' || n.id,
                          ts_rank('{0.05, 0.1, 0.3, 1.0}', n.search, q.q), n.updated_at
                   from notes n cross join q join projects pr on pr.id = n.project_id and pr.user_id = n.user_id
                   where n.user_id = $1 and n.deleted_at is null and pr.deleted_at is null and n.search @@ q.q
                   union all
                   select 'brain_dump', b.id, left(split_part(btrim(b.content), E'\n', 1), 80), b.content, null,
                          case when b.status = 'draft' then '/brain-dump' else '/brain-dump/' || b.id end,
                          ts_rank('{0.05, 0.1, 0.3, 1.0}', b.search, q.q), b.updated_at
                   from brain_dumps b, q
                   where b.user_id = $1 and b.search @@ q.q
               ), page as (
                   select *, count(*) over () as total from hits
                   order by rank desc, updated_at desc, id
                   limit $3 offset $4
               )
               select page.kind as "kind!: HitKind", page.id as "id!", page.project, page.href as "href!",
                      page.rank as "rank!", page.total as "total!",
                      ts_headline('buildos_words', page.title, q.mark,
                                  'HighlightAll=true, StartSel=⟦, StopSel=⟧') as "title!",
                      case when page.body ~ '\S' then ts_headline('buildos_words', page.body, q.mark,
                                  'StartSel=⟦, StopSel=⟧, MaxFragments=2, MinWords=6, MaxWords=20, FragmentDelimiter=" … "')
                           else '' end as "snippet!",
                      (page.body ~ '\S' and search_document(page.body, 'B') @@ q.q) as "body_matched!"
               from page, q
               order by page.rank desc, page.updated_at desc, page.id"#,
            user_id,
            query.as_str(),
            limit,
            offset,
        )
        .fetch_all(conn)
        .await?;
        let total = rows.first().map_or(0, |r| r.total);
        let items = rows
            .into_iter()
            .map(|r| Hit {
                kind: r.kind,
                id: r.id,
                title: fragments(&r.title),
                // A snippet only where the body itself matched (else it is just its start).
                snippet: if r.body_matched { fragments(&r.snippet) } else { Vec::new() },
                project: r.project,
                href: r.href,
                rank: r.rank,
            })
            .collect();
        Ok(Results { items, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_split_into_fragments() {
        let f = fragments("buy ⟦coffee⟧ at the ⟦café⟧");
        let texts: Vec<(&str, bool)> = f.iter().map(|f| (f.text.as_str(), f.mark)).collect();
        assert_eq!(texts, [("buy ", false), ("coffee", true), (" at the ", false), ("café", true)]);
        assert_eq!(fragments("plain"), [Fragment { text: "plain".into(), mark: false }]);
        // An unclosed mark runs to the end rather than losing text.
        assert_eq!(fragments("a ⟦b").iter().map(|f| f.text.as_str()).collect::<String>(), "a b");
        assert!(fragments("").is_empty());
    }
}
