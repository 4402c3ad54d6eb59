//! Signed tokens for links in emails (unsubscribe): `<user id>.<HMAC-SHA256>`.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

/// The signing key: SECRET_KEY when set (`secret_key`), else the database's own (made by the migrations).
pub async fn signing_key(pool: &sqlx::PgPool, secret_key: Option<&str>) -> Result<Vec<u8>, sqlx::Error> {
    if let Some(k) = secret_key.filter(|k| k.len() >= 32) {
        return Ok(k.as_bytes().to_vec());
    }
    let v: String =
        sqlx::query_scalar("select value from app_secrets where name = 'signing_key'").fetch_one(pool).await?;
    Ok(v.into_bytes())
}

fn mac(key: &[u8], purpose: &str, user_id: Uuid) -> HmacSha256 {
    let mut m = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
    m.update(purpose.as_bytes());
    m.update(b":");
    m.update(user_id.as_bytes());
    m
}

/// A token for `purpose` (e.g. "unsubscribe") on behalf of `user_id`.
pub fn sign(key: &[u8], purpose: &str, user_id: Uuid) -> String {
    let tag = mac(key, purpose, user_id).finalize().into_bytes();
    format!("{}.{}", user_id.simple(), hex(&tag))
}

/// The person a token was made for, if it is genuine (checked in constant time).
pub fn verify(key: &[u8], purpose: &str, token: &str) -> Option<Uuid> {
    let (id, tag) = token.trim().split_once('.')?;
    let user_id: Uuid = id.parse().ok()?;
    let tag = unhex(tag)?;
    mac(key, purpose, user_id).verify_slice(&tag).ok()?;
    Some(user_id)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.is_ascii() {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_verifies_only_for_its_key_purpose_and_person() {
        let id = Uuid::new_v4();
        let t = sign(b"key-one", "unsubscribe", id);
        assert_eq!(verify(b"key-one", "unsubscribe", &t), Some(id));
        assert_eq!(verify(b"key-two", "unsubscribe", &t), None);
        assert_eq!(verify(b"key-one", "login", &t), None);
        let other = Uuid::new_v4();
        let forged = format!("{}.{}", other.simple(), t.split_once('.').unwrap().1);
        assert_eq!(verify(b"key-one", "unsubscribe", &forged), None);
        assert_eq!(verify(b"key-one", "unsubscribe", "garbage"), None);
        assert_eq!(verify(b"key-one", "unsubscribe", &format!("{}.zz", id.simple())), None);
    }
}
