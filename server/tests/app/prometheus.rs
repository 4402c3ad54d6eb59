//! Reading `/metrics` as Prometheus would: the exposition parsed by the
//! reference parser (PyPI `prometheus_client`, installed by scripts/test.sh
//! into the tests' Python, TEST_PYTHON). Shared with the worker's tests.

use serde_json::Value;

const PARSE: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    out[family.name] = {"type": family.type,
                        "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in family.samples]}
print(json.dumps(out))
"#;

/// `text` parsed: `{family: {type, samples: [{name, labels, value}]}}`
/// (a counter's family is named without `_total`, its samples with it).
pub async fn parse(text: String) -> Value {
    let python = std::env::var("TEST_PYTHON")
        .expect("TEST_PYTHON: run through ./scripts/test.sh, which installs prometheus_client for the tests");
    // Off the test's runtime, which also runs the server.
    let out = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = std::process::Command::new(python)
            .args(["-c", PARSE])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the tests' Python runs");
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(out.status.success(), "the exposition does not parse: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The value of the sample `name` whose labels include all of `labels`, if any.
pub fn value(metrics: &Value, family: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    metrics[family]["samples"].as_array()?.iter().find_map(|s| {
        let matches = s["name"] == name && labels.iter().all(|(k, v)| s["labels"][*k] == *v);
        if matches { s["value"].as_f64() } else { None }
    })
}

/// The sum of the samples `name` whose labels include all of `labels`.
pub fn sum(metrics: &Value, family: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    metrics[family]["samples"]
        .as_array()
        .map(|samples| {
            samples
                .iter()
                .filter(|s| s["name"] == name && labels.iter().all(|(k, v)| s["labels"][*k] == *v))
                .filter_map(|s| s["value"].as_f64())
                .sum()
        })
        .unwrap_or(0.0)
}

/// GET `path` from `addr` over plain HTTP/1.1: the status and the body.
pub async fn get(addr: std::net::SocketAddr, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, body.to_string())
}
