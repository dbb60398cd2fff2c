//! `GET /dashboard`: the console, a static page embedded in the binary.
//!
//! The page itself needs no token: it takes one from the URL fragment of a demo link or asks
//! for one, keeps it in `sessionStorage` only, and calls the authenticated API with it (the
//! event stream through the `cretoai.bearer.*` subprotocol). Every figure it shows comes from
//! the API. Assets are vanilla HTML/CSS/JS with no external origin, so a strict
//! Content-Security-Policy applies and the page works offline.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

const INDEX: &str = include_str!("../../dashboard/index.html");

/// Every script and style sheet of the page: name under `/dashboard/`, content type, body.
pub const ASSETS: &[(&str, &str, &str)] = &[
    (
        "dashboard.css",
        CSS,
        include_str!("../../dashboard/dashboard.css"),
    ),
    (
        "dashboard.js",
        JS,
        include_str!("../../dashboard/dashboard.js"),
    ),
    ("charts.js", JS, include_str!("../../dashboard/charts.js")),
    ("cluster.js", JS, include_str!("../../dashboard/cluster.js")),
    ("dag.js", JS, include_str!("../../dashboard/dag.js")),
    (
        "playground.js",
        JS,
        include_str!("../../dashboard/playground.js"),
    ),
    ("vault.js", JS, include_str!("../../dashboard/vault.js")),
    ("authz.js", JS, include_str!("../../dashboard/authz.js")),
    ("feed.js", JS, include_str!("../../dashboard/feed.js")),
];
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Same-origin everything; the event stream needs `ws:`/`wss:` (CSP 'self' does not cover
/// WebSocket schemes in every browser). No inline script or style is allowed.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; connect-src 'self' ws: wss:; \
     img-src 'self' data:; script-src 'self'; style-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Registers the page and its assets.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(dashboard)).route(
        "/dashboard/",
        web::get().to(|| async {
            HttpResponse::PermanentRedirect()
                .insert_header((header::LOCATION, "/dashboard"))
                .finish()
        }),
    );
    for &(name, content_type, body) in ASSETS {
        cfg.route(
            &format!("/dashboard/{name}"),
            web::get().to(move || async move { asset(content_type, body) }),
        );
    }
}

/// The console page (HTML; no token needed for the page itself).
#[utoipa::path(get, path = "/dashboard", tag = "dashboard",
    responses((status = 200, description = "The console (HTML, with a strict Content-Security-Policy); it takes a token from the `#token=` fragment of a demo link or asks for one, and calls the API with it", content_type = "text/html")))]
pub async fn dashboard() -> HttpResponse {
    asset("text/html; charset=utf-8", INDEX)
}

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(body)
}
