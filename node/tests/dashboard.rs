//! `GET /dashboard`: served without a token, with a strict Content-Security-Policy, no external
//! resources, and a script that only calls API paths (and methods) of the committed OpenAPI
//! document.

#[allow(dead_code)]
#[path = "api/harness.rs"]
mod harness;

use actix_web::http::header;
use actix_web::test::{self, TestRequest};
use cretoai_node::api::dashboard::{ASSETS, CONTENT_SECURITY_POLICY};
use serde_json::Value;
use std::collections::BTreeSet;

const HTML: &str = include_str!("../dashboard/index.html");

/// Every script of the page, one after the other (`apiOk(...)` is `api(...)` that insists on
/// success: the same method and path).
fn script() -> String {
    ASSETS
        .iter()
        .filter(|(name, _, _)| name.ends_with(".js"))
        .map(|(_, _, body)| body.replace("apiOk(\"", "api(\""))
        .collect::<Vec<_>>()
        .join("\n")
}

fn spec() -> Value {
    let text = include_str!("../../openapi/openapi.json");
    serde_json::from_str(text).expect("the committed spec is JSON")
}

/// Every `"/v1/..."` string literal in `text`.
fn api_literals(text: &str) -> BTreeSet<String> {
    text.split("\"/v1/")
        .skip(1)
        .map(|rest| format!("/v1/{}", rest.split('"').next().unwrap_or_default()))
        .collect()
}

/// `(method, path)` of every `api("METHOD", API.name ...)` call, resolved through the `API` table.
fn api_calls(script: &str) -> Vec<(String, String)> {
    let table: Vec<(String, String)> = script
        .lines()
        .filter_map(|l| {
            let (name, value) = l.trim().split_once(": \"/v1/")?;
            Some((
                name.to_string(),
                format!("/v1/{}", value.split('"').next()?),
            ))
        })
        .collect();
    script
        .split("api(\"")
        .skip(1)
        .filter_map(|call| {
            let (method, rest) = call.split_once('"')?;
            let name = rest.strip_prefix(", API.")?;
            let name: String = name.chars().take_while(|c| c.is_alphanumeric()).collect();
            let path = table.iter().find(|(n, _)| *n == name)?.1.clone();
            Some((method.to_lowercase(), path))
        })
        .collect()
}

#[actix_rt::test]
async fn the_page_and_its_assets_are_served_without_a_token_under_a_strict_csp() {
    let api = harness::start().await;
    let mut pages = vec![("/dashboard".to_string(), "text/html", HTML)];
    for (name, content_type, body) in ASSETS {
        pages.push((format!("/dashboard/{name}"), content_type, body));
    }
    for (path, content_type, body) in pages {
        let content_type = content_type.split(';').next().unwrap();
        let path = path.as_str();
        let res = test::call_service(&api.app, TestRequest::get().uri(path).to_request()).await;
        assert_eq!(res.status(), 200, "{path}");
        let headers = res.headers().clone();
        let value = |name| headers.get(name).unwrap().to_str().unwrap().to_string();
        assert!(
            value(header::CONTENT_TYPE).starts_with(content_type),
            "{path}"
        );
        assert_eq!(
            value(header::CONTENT_SECURITY_POLICY),
            CONTENT_SECURITY_POLICY
        );
        assert_eq!(value(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
        assert_eq!(test::read_body(res).await, body.as_bytes(), "{path}");
    }
    let csp: Vec<&str> = CONTENT_SECURITY_POLICY.split("; ").collect();
    for directive in [
        "default-src 'self'",
        "connect-src 'self' ws: wss:",
        "script-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(&directive), "{directive}");
    }
    let res =
        test::call_service(&api.app, TestRequest::get().uri("/dashboard/").to_request()).await;
    assert_eq!(res.status(), 308);
    assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/dashboard");
}

#[test]
fn the_script_only_calls_paths_and_methods_of_the_committed_spec() {
    let spec = spec();
    let paths = spec["paths"].as_object().expect("paths");
    let script = script();
    let literals = api_literals(&script);
    for needed in [
        "/v1/cluster/status",
        "/v1/cluster/history",
        "/v1/auth/tokens/self",
        "/v1/events",
        "/v1/consensus/transactions",
        "/v1/authz/check",
    ] {
        assert!(literals.contains(needed), "the script uses {needed}");
    }
    for path in &literals {
        assert!(
            paths.contains_key(path),
            "{path} is not in openapi/openapi.json"
        );
    }
    let calls = api_calls(&script);
    assert!(calls.len() >= 20, "{calls:?}");
    for (method, path) in &calls {
        assert!(
            paths[path.as_str()].get(method.as_str()).is_some(),
            "{method} {path} is not in openapi/openapi.json"
        );
    }
    // The dashboard itself is documented too.
    assert!(paths["/dashboard"]["get"].is_object());
}

#[test]
fn the_assets_load_nothing_from_elsewhere_and_inline_nothing() {
    let mut texts = vec![("index.html", HTML)];
    texts.extend(ASSETS.iter().map(|(name, _, body)| (*name, *body)));
    for (name, text) in texts {
        for external in ["http://", "https://", "@import", "url("] {
            assert!(!text.contains(external), "{name} contains {external}");
        }
    }
    for attribute in HTML.split(['<', ' ']).filter_map(|t| {
        t.strip_prefix("src=\"")
            .or_else(|| t.strip_prefix("href=\""))
            .and_then(|v| v.split('"').next())
    }) {
        assert!(
            attribute.starts_with('/') || attribute.starts_with("data:"),
            "{attribute}"
        );
    }
    // CSP forbids inline code: every script is one of the served assets, none inline, no
    // inline handlers or styles.
    let scripts: Vec<&str> = ASSETS
        .iter()
        .filter(|(name, _, _)| name.ends_with(".js"))
        .map(|(name, _, _)| *name)
        .collect();
    assert_eq!(HTML.matches("<script").count(), scripts.len());
    for name in scripts {
        let tag = format!("<script src=\"/dashboard/{name}\" defer></script>");
        assert!(HTML.contains(&tag), "{tag}");
    }
    for inline in [" style=", " onclick=", " onload=", "<style"] {
        assert!(!HTML.contains(inline), "{inline}");
    }
    // The token is kept for the tab only, taken from the fragment of a demo link (which
    // browsers never send) and removed from the address bar, never put in a query string.
    let script = script();
    assert!(script.contains("sessionStorage"));
    assert!(!script.contains("localStorage"));
    assert!(!script.contains("?token") && !script.contains("access_token"));
    assert!(script.contains("#token=") && script.contains("history.replaceState"));
}

#[test]
fn api_path_extraction_finds_what_it_should() {
    let js = "const API = {\n  a: \"/v1/x/{id}\",\n};\napi(\"GET\", API.a, {id});\n\"/v1/y\"";
    assert_eq!(
        api_literals(js),
        BTreeSet::from(["/v1/x/{id}".to_string(), "/v1/y".to_string()])
    );
    assert_eq!(
        api_calls(js),
        vec![("get".to_string(), "/v1/x/{id}".to_string())]
    );
}
