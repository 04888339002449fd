//! `multipart/related` (uploads) and `multipart/mixed` (batch) bodies as the clients
//! send them: Python with bare `\n` line endings and a quoted boundary, Node with
//! CRLF, an unquoted boundary and no line ending after the closing delimiter.

/// The most parts a body may have (a batch holds at most 100 calls).
pub const MAX_PARTS: usize = 1000;

#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Header names lowercased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Part {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// The value of a `Content-Type` parameter (`boundary`), unquoted.
pub fn param(content_type: &str, name: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        (k.trim().eq_ignore_ascii_case(name)).then(|| v.trim().trim_matches('"').to_string())
    })
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    // memchr's vectorized search: a byte-at-a-time scan of a 64 KiB part was most of
    // an upload's parsing time.
    memchr::memmem::find(haystack.get(from..)?, needle).map(|at| from + at)
}

fn strip_line_end(bytes: &[u8]) -> &[u8] {
    let b = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    b.strip_suffix(b"\r").unwrap_or(b)
}

/// Splits a multipart body. `Err` when the body is not multipart with this boundary.
pub fn parse(content_type: &str, body: &[u8]) -> Result<Vec<Part>, &'static str> {
    let boundary = param(content_type, "boundary").ok_or("no boundary")?;
    if boundary.is_empty() || boundary.len() > 200 {
        return Err("bad boundary");
    }
    let delimiter = format!("--{boundary}").into_bytes();
    let mut line_delimiter = b"\n".to_vec();
    line_delimiter.extend_from_slice(&delimiter);
    // The first delimiter: at the very start, or after a preamble.
    let mut pos = if body.starts_with(&delimiter) {
        delimiter.len()
    } else {
        find(body, &line_delimiter, 0).ok_or("no delimiter")? + line_delimiter.len()
    };
    let mut parts = Vec::new();
    loop {
        if body[pos..].starts_with(b"--") {
            return Ok(parts);
        }
        // The rest of the delimiter line (transport padding, then the line end).
        let line_end = find(body, b"\n", pos).ok_or("truncated part")?;
        if body[pos..line_end].iter().any(|b| !matches!(b, b' ' | b'\t' | b'\r')) {
            return Err("bad delimiter line");
        }
        let start = line_end + 1;
        let next = find(body, &line_delimiter, start).ok_or("no closing delimiter")?;
        parts.push(part(strip_line_end(&body[start..next + 1]))?);
        if parts.len() > MAX_PARTS {
            return Err("too many parts");
        }
        pos = next + line_delimiter.len();
    }
}

fn part(raw: &[u8]) -> Result<Part, &'static str> {
    // Headers end at the first empty line (`\n\n` or `\r\n\r\n`); a part may have none.
    let (head, body) = if raw.starts_with(b"\r\n") {
        (&raw[..0], &raw[2..])
    } else if raw.starts_with(b"\n") {
        (&raw[..0], &raw[1..])
    } else {
        let crlf = find(raw, b"\r\n\r\n", 0).map(|i| (i, i + 4));
        // A bare `\n\n` counts only before the first `\r\n\r\n`: no need to scan the
        // whole body for it.
        let lf_window = crlf.map_or(raw.len(), |(i, _)| i + 1);
        let lf = find(&raw[..lf_window], b"\n\n", 0).map(|i| (i, i + 2));
        let (end, body_start) = match (crlf, lf) {
            (Some(a), Some(b)) => {
                if a.0 <= b.0 {
                    a
                } else {
                    b
                }
            }
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => (raw.len(), raw.len()),
        };
        (&raw[..end], &raw[body_start..])
    };
    let head = std::str::from_utf8(head).map_err(|_| "headers are not UTF-8")?;
    let mut headers = Vec::new();
    for line in head.lines() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue;
        }
        let (name, value) = line.split_once(':').ok_or("bad header")?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
    }
    Ok(Part { headers, body: body.to_vec() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_bare_newlines_and_quoted_boundary() {
        let body = b"--===============123==\nContent-Type: application/json\nMIME-Version: 1.0\n\n{\"name\": \"a\"}\n--===============123==\nContent-Type: text/plain\nMIME-Version: 1.0\nContent-Transfer-Encoding: binary\n\nhello\nworld\n--===============123==--";
        let parts = parse("multipart/related; boundary=\"===============123==\"", body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].header("content-type"), Some("application/json"));
        assert_eq!(parts[0].body, b"{\"name\": \"a\"}");
        assert_eq!(parts[1].body, b"hello\nworld");
    }

    #[test]
    fn node_crlf_without_final_newline() {
        let body = b"--abc-123\r\ncontent-type: application/json\r\n\r\n{\"name\":\"b\"}\r\n--abc-123\r\ncontent-type: text/plain\r\n\r\nbytes\r\n\r\n--abc-123--";
        let parts = parse("multipart/related; boundary=abc-123", body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[1].header("content-type"), Some("text/plain"));
        assert_eq!(parts[1].body, b"bytes\r\n");
    }

    #[test]
    fn malformed() {
        assert!(parse("multipart/related", b"--a\n\nx\n--a--").is_err());
        assert!(parse("multipart/related; boundary=a", b"nothing here").is_err());
        assert!(parse("multipart/related; boundary=a", b"--a\nContent-Type: x\n\nunterminated").is_err());
        assert_eq!(parse("multipart/related; boundary=a", b"--a--").unwrap().len(), 0);
    }
}
