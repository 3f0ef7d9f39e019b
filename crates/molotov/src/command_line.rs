//! The command line as reports show it: one line a shell would read back, without its
//! secrets (header values, bodies, passwords in URLs).

/// The command line as one line a shell would read back, for reports, without its secrets:
/// header values (`-H`), bodies (`--body`) and passwords in URLs are replaced by `***` (a
/// report is often published as a CI artifact).
pub(crate) fn command_line(argv: &[std::ffi::OsString]) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:=,@%+*".contains(c);
    let mut hide_next = None;
    argv.iter()
        .map(|a| {
            let a = a.to_string_lossy();
            let shown = match hide_next.take() {
                Some(Hide::Header) => hidden_header(&a),
                Some(Hide::Body) => "***".to_owned(),
                None => {
                    hide_next = match &*a {
                        "-H" | "--header" => Some(Hide::Header),
                        "--body" => Some(Hide::Body),
                        _ => None,
                    };
                    if let Some(header) = a.strip_prefix("--header=") {
                        format!("--header={}", hidden_header(header))
                    } else if let Some(header) = a.strip_prefix("-H").filter(|h| !h.is_empty()) {
                        format!("-H{}", hidden_header(header))
                    } else if a.starts_with("--body=") {
                        "--body=***".to_owned()
                    } else {
                        hidden_password(&a)
                    }
                }
            };
            if !shown.is_empty() && shown.chars().all(plain) {
                shown
            } else {
                format!("'{}'", shown.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What the next argument of the command line is, when it is a secret.
#[derive(Clone, Copy)]
enum Hide {
    Header,
    Body,
}

/// `Name: value` as `Name: ***`.
fn hidden_header(header: &str) -> String {
    match header.split_once(':') {
        Some((name, _)) => format!("{name}: ***"),
        None => "***".to_owned(),
    }
}

/// A URL's password (`scheme://user:password@host`) as `***`; anything else as it is.
fn hidden_password(text: &str) -> String {
    let Some((scheme, rest)) = text.split_once("://") else {
        return text.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user_info, host)) => {
            let user = user_info
                .split_once(':')
                .map_or(user_info, |(user, _)| user);
            format!("{scheme}://{user}:***@{host}{path}")
        }
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_hides_its_secrets() {
        let argv: Vec<std::ffi::OsString> = [
            "molotov",
            "-H",
            "Authorization: Bearer abc",
            "--header=X-Key: k",
            "-HCookie: c=1",
            "--body",
            "{\"password\": 1}",
            "--body=x",
            "https://me:secret@example.com/a?b",
            "https://example.com/@x",
        ]
        .iter()
        .map(Into::into)
        .collect();
        let line = command_line(&argv);
        for secret in ["abc", "X-Key: k", "c=1", "password", "=x", "secret"] {
            assert!(!line.contains(secret), "{secret} in {line}");
        }
        assert_eq!(
            line,
            "molotov -H 'Authorization: ***' '--header=X-Key: ***' '-HCookie: ***' --body *** \
             --body=*** 'https://me:***@example.com/a?b' https://example.com/@x"
        );
    }

    #[test]
    fn the_command_line_is_quoted_as_a_shell_reads_it() {
        let argv: Vec<std::ffi::OsString> = [
            "molotov",
            "-w",
            "2",
            "--threshold",
            "status[5xx] < 1%",
            "it's",
            "",
        ]
        .iter()
        .map(Into::into)
        .collect();
        assert_eq!(
            command_line(&argv),
            r"molotov -w 2 --threshold 'status[5xx] < 1%' 'it'\''s' ''"
        );
    }
}
