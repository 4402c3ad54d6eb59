//! Voice capture: a recording made in the browser, turned into text by any
//! OpenAI-compatible `/audio/transcriptions` endpoint (OpenAI, or a Whisper
//! server of your own). The text goes into the editor for the person to
//! read; nothing is kept of the recording here.

use super::quota::{self, Purpose, Quota};
use crate::error::Error;
use crate::settings::Secret;
use async_openai::Client;
use async_openai::config::OpenAIConfig;
use async_openai::types::audio::{AudioInput, AudioResponseFormat, CreateTranscriptionRequestArgs};
use serde::Deserialize;
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

/// The largest recording sent for transcription (OpenAI's own limit).
pub const MAX_BYTES: usize = 25 * 1024 * 1024;

/// Where recordings are transcribed.
#[derive(Clone, Debug)]
pub struct TranscribeConfig {
    pub api_key: Secret<String>,
    pub base_url: String,
    pub model: String,
    /// An ISO-639-1 code (`en`), when every recording is in one language.
    pub language: Option<String>,
    pub timeout: Duration,
    /// Shared with the language model: a transcription is one AI call.
    pub quota: Quota,
}

impl TranscribeConfig {
    /// TRANSCRIBE_API_KEY, TRANSCRIBE_BASE_URL, TRANSCRIBE_MODEL (whisper-1),
    /// TRANSCRIBE_LANGUAGE, TRANSCRIBE_TIMEOUT_SECS (120). Without
    /// TRANSCRIBE_API_KEY, OpenAI's own endpoint is used when OPENAI_API_KEY is
    /// set and OPENAI_BASE_URL is not (other chat endpoints rarely transcribe);
    /// TRANSCRIBE=off turns transcription off. Off, the browser's own speech
    /// recognition is offered where it has one.
    pub fn from_vars(var: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Option<Self>> {
        match var("TRANSCRIBE").as_deref().map(str::trim) {
            None | Some("on") => {}
            Some("off") => return Ok(None),
            Some(other) => anyhow::bail!("TRANSCRIBE must be on or off, not {other:?}"),
        }
        let (api_key, base_url) = match (var("TRANSCRIBE_API_KEY"), var("OPENAI_API_KEY"), var("OPENAI_BASE_URL")) {
            (Some(key), _, openai_base) => {
                (key, var("TRANSCRIBE_BASE_URL").or(openai_base).unwrap_or_else(|| "https://api.openai.com/v1".into()))
            }
            (None, Some(key), None) => (key, "https://api.openai.com/v1".into()),
            (None, _, _) => return Ok(None),
        };
        let timeout = match var("TRANSCRIBE_TIMEOUT_SECS") {
            None => 120,
            Some(s) => s
                .trim()
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| anyhow::anyhow!("TRANSCRIBE_TIMEOUT_SECS must be a positive number"))?,
        };
        let language = var("TRANSCRIBE_LANGUAGE").map(|l| l.trim().to_lowercase());
        if let Some(l) = &language
            && !(l.len() == 2 && l.chars().all(|c| c.is_ascii_lowercase()))
        {
            anyhow::bail!("TRANSCRIBE_LANGUAGE must be a two-letter ISO-639-1 code such as en, not {l:?}");
        }
        Ok(Some(TranscribeConfig {
            api_key: Secret::new(api_key),
            base_url: base_url.trim_end_matches('/').to_string(),
            model: var("TRANSCRIBE_MODEL").unwrap_or_else(|| "whisper-1".into()),
            language,
            timeout: Duration::from_secs(timeout),
            quota: Quota::from_vars(var)?,
        }))
    }
}

/// The file name a recording of `content_type` is sent under: transcription
/// services tell formats apart by the extension. None: not a format they take.
pub fn file_name(content_type: &str) -> Option<&'static str> {
    let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    Some(match essence.as_str() {
        "audio/webm" | "video/webm" => "recording.webm",
        "audio/ogg" | "audio/opus" => "recording.ogg",
        "audio/mp4" | "audio/m4a" | "audio/x-m4a" | "audio/aac" | "video/mp4" => "recording.m4a",
        "audio/mpeg" | "audio/mp3" => "recording.mp3",
        "audio/wav" | "audio/wave" | "audio/x-wav" => "recording.wav",
        "audio/flac" | "audio/x-flac" => "recording.flac",
        _ => return None,
    })
}

#[derive(Deserialize)]
struct Transcript {
    text: String,
}

/// Turn `user_id`'s recording into text. The call is taken from their AI
/// quota first (a refusal reaches no service). Bad recordings are refused
/// naming the `audio` field.
pub async fn transcribe(
    pool: &PgPool,
    user_id: Uuid,
    config: &TranscribeConfig,
    content_type: &str,
    audio: Vec<u8>,
) -> Result<String, Error> {
    let Some(name) = file_name(content_type) else {
        let shown = if content_type.trim().is_empty() { "no format" } else { content_type };
        return Err(Error::field(
            "audio",
            format!("A recording in {shown} cannot be transcribed: send WebM, Ogg, MP4, MP3, WAV or FLAC audio."),
        ));
    };
    if audio.is_empty() {
        return Err(Error::field("audio", "The recording is empty: nothing was heard. Try again."));
    }
    if audio.len() > MAX_BYTES {
        return Err(Error::field(
            "audio",
            "The recording is too long to transcribe in one piece (25 MB at most): record shorter parts.",
        ));
    }
    let quota = config.quota;
    let ticket = crate::db::as_user(pool, user_id, move |tx| {
        Box::pin(async move { quota::take(tx, user_id, Purpose::Voice, &quota).await })
    })
    .await?;

    let unavailable = |detail: String| {
        tracing::warn!(%detail, "transcription failed");
        Error::Upstream(
            "The transcription did not work this time. Your recording is still here: try again, or type instead."
                .into(),
        )
    };
    let http = reqwest::Client::builder().timeout(config.timeout).build().map_err(|e| unavailable(e.to_string()))?;
    let client =
        Client::with_config(OpenAIConfig::new().with_api_key(config.api_key.expose()).with_api_base(&config.base_url))
            .with_http_client(http);
    let mut request = CreateTranscriptionRequestArgs::default();
    request
        .file(AudioInput::from_vec_u8(name.into(), audio))
        .model(config.model.clone())
        .response_format(AudioResponseFormat::Json);
    if let Some(language) = &config.language {
        request.language(language.clone());
    }
    let request = request.build().map_err(|e| unavailable(e.to_string()))?;
    let started = std::time::Instant::now();
    let transcript = client.audio().transcription().create_byot::<_, Transcript>(request).await;
    crate::metrics::llm_call("voice", transcript.is_ok(), started.elapsed());
    quota::spent(pool, ticket, &config.model, None).await;
    let transcript = transcript.map_err(|e| unavailable(e.to_string()))?;
    Ok(transcript.text.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Option<TranscribeConfig> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        TranscribeConfig::from_vars(&|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())).unwrap()
    }

    #[test]
    fn transcription_follows_openai_only_to_openai_itself() {
        assert!(config(&[]).is_none());
        let openai = config(&[("OPENAI_API_KEY", "k")]).unwrap();
        assert_eq!((openai.base_url.as_str(), openai.model.as_str()), ("https://api.openai.com/v1", "whisper-1"));
        // A local chat server (Ollama, llama.cpp) rarely transcribes: off unless asked.
        assert!(config(&[("OPENAI_API_KEY", "k"), ("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")]).is_none());
        let own = config(&[("TRANSCRIBE_API_KEY", "t"), ("TRANSCRIBE_BASE_URL", "http://127.0.0.1:9000/v1/")]).unwrap();
        assert_eq!((own.api_key.expose().as_str(), own.base_url.as_str()), ("t", "http://127.0.0.1:9000/v1"));
        assert!(config(&[("OPENAI_API_KEY", "k"), ("TRANSCRIBE", "off")]).is_none());
        assert!(!format!("{own:?}").contains("\"t\""), "the key never prints");
    }

    #[test]
    fn bad_settings_are_refused_by_name() {
        let vars = |k: &str| match k {
            "TRANSCRIBE_API_KEY" => Some("t".to_string()),
            "TRANSCRIBE_LANGUAGE" => Some("English".to_string()),
            _ => None,
        };
        let e = TranscribeConfig::from_vars(&vars).unwrap_err().to_string();
        assert!(e.contains("TRANSCRIBE_LANGUAGE"), "{e}");
    }

    #[test]
    fn formats_browsers_record_are_named_for_the_service() {
        assert_eq!(file_name("audio/webm;codecs=opus"), Some("recording.webm"));
        assert_eq!(file_name("audio/mp4"), Some("recording.m4a"));
        assert_eq!(file_name("Audio/Ogg; codecs=opus"), Some("recording.ogg"));
        assert_eq!(file_name("text/plain"), None);
        assert_eq!(file_name(""), None);
    }
}
