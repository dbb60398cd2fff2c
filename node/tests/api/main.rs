//! API tests: every endpoint and every listed error case, in-process via `actix_web::test`.

mod harness;

mod auth_routes;
mod console_routes;
mod crypto_routes;
mod hostile_input;
mod key_routes;
mod observability;
