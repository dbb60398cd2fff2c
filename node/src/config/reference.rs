//! The configuration reference in docs/api.md, rendered from [`Cli`]'s declaration so that the
//! flags, their environment variables, the TOML keys and the defaults are written in one place.

use super::{Cli, SECRETS};
use clap::CommandFactory;

/// TOML table of each flattened group of flags (clap names a flattened group after its type).
const TABLES: [(&str, &str); 2] = [("ConsensusFlags", "consensus"), ("TlsSettings", "tls")];

/// One setting as the reference lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// `--flag VALUE`.
    pub flag: String,
    /// Its environment variable.
    pub env: String,
    /// Its TOML table (`None` at the top level) and key; `None` when the file cannot set it.
    pub toml: Option<(Option<&'static str>, String)>,
    /// The value name (`N`, `ADDR`...); `None` for on/off switches.
    pub value_name: Option<String>,
    /// Whether it takes a list (repeat the flag, or comma-separate in the environment).
    pub list: bool,
    /// The default, from the help text's `[default: ...]`.
    pub default: String,
    /// The help text without the default.
    pub help: String,
}

/// Every setting, in declaration order.
pub fn settings() -> Vec<Setting> {
    let cmd = Cli::command();
    let table_of = |id: &str| {
        cmd.get_groups().find_map(|g| {
            let table = TABLES
                .iter()
                .find(|(name, _)| *name == g.get_id().as_str())?;
            g.get_args().any(|a| a.as_str() == id).then_some(table.1)
        })
    };
    cmd.get_arguments()
        .filter(|a| a.get_long().is_some() && a.get_env().is_some())
        .map(|a| {
            let id = a.get_id().as_str();
            let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
            let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
            let (help, default) = split_default(&help);
            let value_name = a
                .get_value_names()
                .and_then(|v| v.first())
                .map(|v| v.to_string());
            let list = a.get_value_delimiter().is_some();
            let takes_value = a.get_action().takes_values();
            Setting {
                flag: match (&value_name, takes_value) {
                    (Some(v), true) => format!("--{} {v}", a.get_long().unwrap_or(id)),
                    _ => format!("--{}", a.get_long().unwrap_or(id)),
                },
                env: a
                    .get_env()
                    .map(|e| e.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                toml: (id != "config").then(|| (table_of(id), id.to_string())),
                value_name: value_name.filter(|_| takes_value),
                list,
                default: if default.is_empty() && !takes_value {
                    "off".into()
                } else {
                    default
                },
                help,
            }
        })
        .collect()
}

/// Takes clap's `[default: X]` out of a help text: (the text without it, X).
fn split_default(help: &str) -> (String, String) {
    let Some(start) = help.find(" [default: ") else {
        return (help.to_string(), String::new());
    };
    let value_start = start + " [default: ".len();
    let Some(len) = help[value_start..].find(']') else {
        return (help.to_string(), String::new());
    };
    let default = help[value_start..value_start + len].to_string();
    let text = format!("{}{}", &help[..start], &help[value_start + len + 1..]);
    (text, default)
}

/// A table cell: `|` escaped, and `<`/`>` outside code spans (Markdown would read them as
/// HTML tags).
fn cell(text: &str) -> String {
    if text.is_empty() {
        return "—".into();
    }
    text.replace('|', "\\|")
        .split('`')
        .enumerate()
        .map(|(i, part)| match i % 2 {
            0 => part.replace('<', "&lt;").replace('>', "&gt;"),
            _ => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join("`")
}

/// The reference table, in Markdown.
pub fn markdown() -> String {
    let mut out = String::from(
        "| flag | environment | TOML key | default | what it sets |\n|---|---|---|---|---|\n",
    );
    for s in settings() {
        let flag = if s.list {
            format!("`{}` (repeat)", s.flag)
        } else {
            format!("`{}`", s.flag)
        };
        let env = if s.list {
            format!("`{}` (comma-separated)", s.env)
        } else {
            format!("`{}`", s.env)
        };
        let toml = match &s.toml {
            Some((Some(table), key)) => format!("`[{table}] {key}`"),
            Some((None, key)) => format!("`{key}`"),
            None => "—".into(),
        };
        out += &format!(
            "| {flag} | {env} | {toml} | {} | {} |\n",
            cell(&s.default),
            cell(&s.help)
        );
    }
    for (env, help) in SECRETS {
        out += &format!("| — | `{env}` | — | — | {} |\n", cell(help));
    }
    out
}
