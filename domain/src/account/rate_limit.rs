//! Limits on logging in and signing up, kept in PostgreSQL so every server
//! process sees the same counts, and the client address they are counted by.
//!
//! Failed logins never lock a person out: a correct password from a device or
//! an address that signed in to that account before always works. From
//! anywhere else, repeated failures first slow the answers down, then, past a
//! threshold, a correct password is not enough on its own: the person is
//! emailed a single-use link that finishes the sign-in. Guessing from there
//! teaches nothing, since the answer is the same whether the password was right.

use crate::error::Error;
use sqlx::PgPool;
use sqlx::types::ipnetwork::IpNetwork;
use std::net::IpAddr;
use std::time::Duration;

/// Failures for one account from one address before answers slow down.
pub const PAIR_FREE: i64 = 3;
/// Failures for one account from one address before a link is needed.
pub const PAIR_LIMIT: i64 = 5;
/// Failures for one account from an address it signed in from before a link is needed there too.
pub const KNOWN_ADDRESS_LIMIT: i64 = 4 * PAIR_LIMIT;
/// Failures from one address (any accounts) before a link is needed from it.
pub const PER_ADDRESS: i64 = 20;
/// Failures for one account (any addresses) before a link is needed from new places.
pub const PER_ACCOUNT: i64 = 20;
pub const WINDOW_MINUTES: i64 = 15;
/// How long a device or address that signed in stays known.
pub const KNOWN_DAYS: i64 = 180;
/// The longest an answer is held back.
pub const MAX_DELAY: Duration = Duration::from_secs(2);

/// How a login attempt is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Check the password (after the given delay).
    Password(Duration),
    /// A correct password gets an emailed link, not a session.
    Link,
}

/// A login attempt, recorded as failed until [`mark_succeeded`].
#[derive(Debug)]
pub struct Attempt {
    pub id: i64,
    pub guard: Guard,
}

/// The SHA-256 of a device cookie, as stored.
pub fn device_digest(device: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(device.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Decide how to handle a login for `email` from `ip` (and `device`, the
/// digest of its cookie), and record it. Counting and recording happen under
/// a per-email lock, so concurrent attempts are counted one by one.
pub async fn begin_attempt(
    pool: &PgPool,
    email: &str,
    ip: Option<IpAddr>,
    device: Option<&str>,
) -> Result<Attempt, Error> {
    let ip = ip.map(bucket);
    let mut tx = pool.begin().await?;
    sqlx::query!("select pg_advisory_xact_lock(hashtext('login:' || $1))", email).execute(&mut *tx).await?;
    let row = sqlx::query!(
        r#"
        with since as (select now() - make_interval(mins => $4::int) as t),
        last_ok as (select max(created_at) as t from login_attempts where email = $1 and succeeded),
        -- Known: signed in within KNOWN_DAYS, and since the password last changed.
        known_since as (select greatest(now() - make_interval(days => $5::int),
                                        (select password_changed_at from users where email = $1)) as t)
        select
          exists (select 1 from login_attempts, known_since k where email = $1 and succeeded and device = $3
                    and created_at > k.t) as "known_device!",
          exists (select 1 from login_attempts, known_since k where email = $1 and succeeded and ip = $2
                    and created_at > k.t) as "known_address!",
          (select count(*) from login_attempts a, since
            where a.email = $1 and a.ip is not distinct from $2 and not a.succeeded and a.created_at > since.t
              and a.created_at > coalesce((select max(created_at) from login_attempts s
                                           where s.email = $1 and s.succeeded and s.ip is not distinct from $2),
                                          '-infinity')) as "pair!",
          (select count(*) from login_attempts a, since, last_ok
            where a.email = $1 and not a.succeeded and a.created_at > since.t
              and a.created_at > coalesce(last_ok.t, '-infinity')) as "account!",
          (select count(*) from login_attempts a, since
            where $2::inet is not null and a.ip = $2 and not a.succeeded and a.created_at > since.t) as "address!"
        "#,
        email,
        ip,
        device,
        WINDOW_MINUTES as i32,
        KNOWN_DAYS as i32
    )
    .fetch_one(&mut *tx)
    .await?;
    let guard = guard(row.known_device, row.known_address, row.pair, row.account, row.address);
    let id = sqlx::query_scalar!(
        "insert into login_attempts (email, ip, succeeded) values ($1, $2, false) returning id",
        email,
        ip
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Attempt { id, guard })
}

/// The rule, on the counts of failures in the window: for this account from
/// this address (`pair`), for this account (`account`), from this address (`address`).
fn guard(known_device: bool, known_address: bool, pair: i64, account: i64, address: i64) -> Guard {
    let delay = Duration::from_millis(250 * (pair - PAIR_FREE).max(0) as u64).min(MAX_DELAY);
    if known_device {
        Guard::Password(Duration::ZERO)
    } else if known_address && pair < KNOWN_ADDRESS_LIMIT {
        // A shared address (an office, a household) may hold the person and
        // someone guessing: slower answers; only past many failures from
        // there does a sign-in need the emailed link too.
        Guard::Password(delay)
    } else if pair >= PAIR_LIMIT || account >= PER_ACCOUNT || address >= PER_ADDRESS {
        Guard::Link
    } else {
        Guard::Password(delay)
    }
}

/// The password was right and a session starts: this attempt no longer counts
/// as a failure, and this address and device are known from now on.
pub async fn mark_succeeded(pool: &PgPool, attempt: i64, device: Option<&str>) -> Result<(), Error> {
    sqlx::query!("update login_attempts set succeeded = true, device = $2 where id = $1", attempt, device)
        .execute(pool)
        .await?;
    Ok(())
}

/// Record a sign-in that did not go through the password form (an emailed
/// link, a password reset): the address and device become known.
pub async fn record_success(
    conn: &mut sqlx::PgConnection,
    email: &str,
    ip: Option<IpAddr>,
    device: Option<&str>,
) -> Result<(), Error> {
    sqlx::query!(
        "insert into login_attempts (email, ip, succeeded, device) values ($1, $2, true, $3)",
        email,
        ip.map(bucket),
        device
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Count a sign-up from `ip`, or refuse it when this address, or the whole
/// server, has made enough accounts in the last hour.
pub async fn begin_signup(
    conn: &mut sqlx::PgConnection,
    ip: Option<IpAddr>,
    limits: &crate::settings::SignupLimits,
) -> Result<(), Error> {
    let ip = ip.map(bucket);
    sqlx::query!("select pg_advisory_xact_lock(hashtext('signup'))").execute(&mut *conn).await?;
    let row = sqlx::query!(
        r#"select count(*) filter (where $1::inet is not null and ip = $1) as "address!", count(*) as "all!"
           from signup_attempts where created_at > now() - interval '1 hour'"#,
        ip
    )
    .fetch_one(&mut *conn)
    .await?;
    if row.address >= limits.per_address_per_hour {
        return Err(Error::TooManyRequests(
            "Too many accounts were made from your network in the last hour. Try again later.".into(),
        ));
    }
    if row.all >= limits.per_hour {
        tracing::warn!(signups.per_hour = limits.per_hour, "the server's hourly sign-up limit was reached");
        return Err(Error::TooManyRequests(
            "This server is taking no more new accounts this hour. Try again later.".into(),
        ));
    }
    sqlx::query!("insert into signup_attempts (ip) values ($1)", ip).execute(&mut *conn).await?;
    Ok(())
}

/// What limits count by: an IPv4 address, or the /64 an IPv6 address is in
/// (one machine usually holds a whole /64).
pub fn bucket(ip: IpAddr) -> IpNetwork {
    match ip {
        IpAddr::V4(v4) => IpNetwork::from(IpAddr::V4(v4)),
        IpAddr::V6(v6) => {
            let masked = u128::from(v6) & (u128::MAX << 64);
            IpNetwork::from(IpAddr::V6(std::net::Ipv6Addr::from(masked)))
        }
    }
}

/// The client's address: the peer's, unless the peer is one of the
/// `trusted` proxies; then the forwarding header is read from the right
/// (the hop nearest to us) and the first address that is not a trusted proxy
/// is the client. Only the header the proxies write is read (`values`, in
/// RFC 7239 `Forwarded` syntax when `rfc7239`): a proxy passes the other one
/// on as the client wrote it. A header from an untrusted peer is ignored:
/// anyone can write one.
pub fn client_address(peer: IpAddr, values: &[&str], rfc7239: bool, trusted: &[IpNetwork]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|n| n.contains(*ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<&str> = if rfc7239 {
        values
            .iter()
            .flat_map(|h| h.split(','))
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    k.trim().eq_ignore_ascii_case("for").then_some(v.trim())
                })
            })
            .collect()
    } else {
        values.iter().flat_map(|h| h.split(',')).map(str::trim).collect()
    };
    let mut client = peer;
    for hop in hops.iter().rev() {
        // An unreadable hop ("unknown", garbage): the last address we could trust is the client.
        let Some(ip) = parse_hop(hop) else { return client };
        client = ip;
        if !is_trusted(&ip) {
            return ip;
        }
    }
    client
}

/// `1.2.3.4`, `1.2.3.4:80`, `"[2001:db8::1]:443"`, `2001:db8::1`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim().trim_matches('"');
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    hop.rsplit_once(':').and_then(|(ip, _port)| ip.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nets(list: &[&str]) -> Vec<IpNetwork> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn forwarded_addresses_count_only_from_a_trusted_proxy() {
        let peer: IpAddr = "10.0.0.5".parse().unwrap();
        let trusted = nets(&["10.0.0.0/8"]);
        let xff = |values: &[&str], trusted: &[IpNetwork]| client_address(peer, values, false, trusted);
        let rfc = |values: &[&str]| client_address(peer, values, true, &nets(&["10.0.0.0/8"])).to_string();
        assert_eq!(xff(&["203.0.113.7"], &trusted).to_string(), "203.0.113.7");
        // The client wrote a header of its own; the proxy appended the real address.
        assert_eq!(xff(&["1.1.1.1, 203.0.113.7"], &trusted).to_string(), "203.0.113.7");
        // Two proxies of ours.
        assert_eq!(xff(&["203.0.113.7, 10.0.0.9"], &trusted).to_string(), "203.0.113.7");
        assert_eq!(rfc(&["for=\"[2001:db8::1]:443\";proto=https"]), "2001:db8::1");
        assert_eq!(rfc(&["for=198.51.100.2:5000, for=10.0.0.7"]), "198.51.100.2");
        assert_eq!(xff(&["unknown"], &trusted), peer);
        // Not a trusted peer: its headers are ignored.
        assert_eq!(xff(&["203.0.113.7"], &[]), peer);
        assert_eq!(xff(&["203.0.113.7"], &nets(&["192.168.0.0/16"])), peer);
        // An IPv6 machine counts as its /64.
        let (a, b) = ("2001:db8:1:2::5".parse().unwrap(), "2001:db8:1:2:ffff::9".parse().unwrap());
        assert_eq!(bucket(a), bucket(b));
        assert_ne!(bucket(a), bucket("2001:db8:1:3::5".parse().unwrap()));
    }

    #[test]
    fn a_known_device_is_never_held_back_and_strangers_get_a_link_past_the_limits() {
        use Guard::*;
        assert_eq!(guard(true, false, 100, 100, 100), Password(Duration::ZERO));
        assert_eq!(guard(false, true, KNOWN_ADDRESS_LIMIT - 1, 100, 100), Password(MAX_DELAY));
        assert_eq!(guard(false, true, KNOWN_ADDRESS_LIMIT, 100, 100), Link);
        assert_eq!(guard(false, false, 0, 0, 0), Password(Duration::ZERO));
        assert_eq!(guard(false, false, 4, 4, 4), Password(Duration::from_millis(250)));
        assert_eq!(guard(false, false, PAIR_LIMIT, 0, 0), Link);
        assert_eq!(guard(false, false, 0, PER_ACCOUNT, 0), Link);
        assert_eq!(guard(false, false, 0, 0, PER_ADDRESS), Link);
    }
}
