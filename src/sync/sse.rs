//! An incremental Server-Sent Events parser (WHATWG "event stream interpretation"): correct for any chunking,
//! including a split inside a multi-byte UTF-8 character or between the `\r` and `\n` of a line ending.
//! Lines are cut on bytes (`\r`, `\n` never occur inside a UTF-8 sequence) and decoded whole.

/// One dispatched event. `id` is the `id:` field of this event, if it had one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an SSE line is longer than {0} bytes")]
pub struct LineTooLong(pub usize);

pub struct Parser {
    line: Vec<u8>,
    /// The previous chunk ended with `\r`: a `\n` starting the next one belongs to that line ending.
    after_cr: bool,
    started: bool,
    id: Option<String>,
    event: Option<String>,
    data: String,
    has_data: bool,
    max_line: usize,
}

impl Parser {
    #[must_use]
    pub fn new(max_line: usize) -> Self {
        Self {
            line: Vec::new(),
            after_cr: false,
            started: false,
            id: None,
            event: None,
            data: String::new(),
            has_data: false,
            max_line,
        }
    }

    /// Feeds bytes; complete events are pushed to `out`.
    pub fn feed(&mut self, mut bytes: &[u8], out: &mut Vec<Event>) -> Result<(), LineTooLong> {
        if bytes.is_empty() {
            return Ok(());
        }
        if self.after_cr {
            self.after_cr = false;
            if let Some(rest) = bytes.strip_prefix(b"\n") {
                bytes = rest;
            }
        }
        while let Some(pos) = bytes.iter().position(|b| *b == b'\n' || *b == b'\r') {
            self.push_bytes(&bytes[..pos])?;
            let cr = bytes[pos] == b'\r';
            bytes = &bytes[pos + 1..];
            if cr {
                match bytes.first() {
                    Some(b'\n') => bytes = &bytes[1..],
                    None => self.after_cr = true,
                    Some(_) => {}
                }
            }
            let line = std::mem::take(&mut self.line);
            self.line_done(&line, out);
        }
        self.push_bytes(bytes)
    }

    fn push_bytes(&mut self, bytes: &[u8]) -> Result<(), LineTooLong> {
        if self.line.len() + bytes.len() > self.max_line {
            return Err(LineTooLong(self.max_line));
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn line_done(&mut self, raw: &[u8], out: &mut Vec<Event>) {
        let mut raw = raw;
        if !self.started {
            self.started = true;
            raw = raw.strip_prefix("\u{feff}".as_bytes()).unwrap_or(raw);
        }
        if raw.is_empty() {
            self.dispatch(out);
            return;
        }
        let line = String::from_utf8_lossy(raw);
        if line.starts_with(':') {
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_ref(), ""),
        };
        match field {
            "event" => self.event = Some(value.to_owned()),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.id = Some(value.to_owned()),
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<Event>) {
        let id = self.id.take();
        let event = self.event.take();
        if !self.has_data && id.is_none() && event.is_none() {
            return;
        }
        self.has_data = false;
        out.push(Event {
            id,
            event: event
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| "message".into()),
            data: std::mem::take(&mut self.data),
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse_chunks(chunks: &[&[u8]]) -> Vec<Event> {
        let mut p = Parser::new(1 << 20);
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c, &mut out).unwrap();
        }
        out
    }

    fn ev(id: Option<&str>, event: &str, data: &str) -> Event {
        Event {
            id: id.map(str::to_owned),
            event: event.into(),
            data: data.into(),
        }
    }

    /// OpenCTI framing with non-ASCII text (2-, 3- and 4-byte characters) and every kind of line ending.
    const INPUT: &str = "\u{feff}event: connected\ndata: {\"connectionId\":\"c\"}\n\n\
        : a comment\r\n\
        id: 1700000000000-0\r\nevent: create\r\ndata: {\"name\":\"Zoë — 東京 🐍\"}\r\n\r\n\
        id: 1700000000001-0\revent: update\rdata: a\rdata: b\r\r\
        id: 1700000000002-0\nevent: heartbeat\ndata: \"2024-01-01T00:00:00.000Z\"\n\n\
        data:no space\n\n";

    fn expected() -> Vec<Event> {
        vec![
            ev(None, "connected", "{\"connectionId\":\"c\"}"),
            ev(
                Some("1700000000000-0"),
                "create",
                "{\"name\":\"Zoë — 東京 🐍\"}",
            ),
            ev(Some("1700000000001-0"), "update", "a\nb"),
            ev(
                Some("1700000000002-0"),
                "heartbeat",
                "\"2024-01-01T00:00:00.000Z\"",
            ),
            ev(None, "message", "no space"),
        ]
    }

    #[test]
    fn whole_input() {
        assert_eq!(parse_chunks(&[INPUT.as_bytes()]), expected());
    }

    #[test]
    fn split_at_every_byte() {
        let bytes = INPUT.as_bytes();
        for i in 0..=bytes.len() {
            assert_eq!(
                parse_chunks(&[&bytes[..i], &bytes[i..]]),
                expected(),
                "split at {i}"
            );
        }
    }

    #[test]
    fn split_at_every_pair_of_bytes() {
        let bytes = INPUT.as_bytes();
        for i in 0..=bytes.len() {
            for j in i..=bytes.len() {
                assert_eq!(
                    parse_chunks(&[&bytes[..i], &bytes[i..j], &bytes[j..]]),
                    expected(),
                    "split at {i} and {j}"
                );
            }
        }
    }

    #[test]
    fn one_byte_at_a_time() {
        let chunks: Vec<&[u8]> = INPUT.as_bytes().chunks(1).collect();
        assert_eq!(parse_chunks(&chunks), expected());
    }

    #[test]
    fn incomplete_event_is_not_dispatched_and_long_lines_are_refused() {
        assert_eq!(
            parse_chunks(&[b"id: 1-0\nevent: create\ndata: {}\n"]),
            vec![]
        );
        let mut p = Parser::new(8);
        let mut out = Vec::new();
        assert_eq!(p.feed(b"data: 123456789", &mut out), Err(LineTooLong(8)));
    }
}
