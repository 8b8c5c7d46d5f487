//! The protocol: lsp-server's JSON-RPC connection, requests and notifications mapped onto
//! [`Server`], `file:` URIs onto paths.

use super::*;
use lsp_server::{Connection, Message, Notification, Request, Response};
use lsp_types::notification::Notification as _;

use std::error::Error;

type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

/// Serves the protocol on standard input and output until the client says `exit`.
pub fn run() -> Result<()> {
    let (connection, io) = Connection::stdio();
    run_on(&connection)?;
    drop(connection);
    io.join()?;
    Ok(())
}

/// The capabilities writ offers.
fn capabilities() -> lsp::ServerCapabilities {
    lsp::ServerCapabilities {
        position_encoding: Some(lsp::PositionEncodingKind::UTF16),
        text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(lsp::TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(lsp::TextDocumentSyncKind::FULL),
            ..Default::default()
        })),
        hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
        definition_provider: Some(lsp::OneOf::Left(true)),
        references_provider: Some(lsp::OneOf::Left(true)),
        completion_provider: Some(lsp::CompletionOptions {
            trigger_characters: Some(vec![".".into()]),
            ..Default::default()
        }),
        document_symbol_provider: Some(lsp::OneOf::Left(true)),
        document_formatting_provider: Some(lsp::OneOf::Left(true)),
        ..Default::default()
    }
}

/// Serves the protocol on a connection: the `initialize` handshake, then requests and
/// notifications until `shutdown` and `exit`.
pub fn run_on(connection: &Connection) -> Result<()> {
    let result = lsp::InitializeResult {
        capabilities: capabilities(),
        server_info: Some(lsp::ServerInfo { name: "writ".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }),
    };
    let (id, _params) = connection.initialize_start()?;
    connection.initialize_finish(id, serde_json::to_value(result)?)?;
    let mut server = Server::new();
    let mut uris: HashMap<PathBuf, lsp::Uri> = HashMap::new();
    for msg in &connection.receiver {
        match msg {
            Message::Request(req) => {
                if connection.handle_shutdown(&req)? {
                    return Ok(());
                }
                let resp = answer(&mut server, req);
                connection.sender.send(Message::Response(resp))?;
            }
            Message::Notification(n) => {
                let published = notice(&mut server, &mut uris, n);
                for (path, diagnostics) in published {
                    let Some(uri) = uris.get(&path).cloned().or_else(|| uri(&path)) else { continue };
                    let params = lsp::PublishDiagnosticsParams { uri, diagnostics, version: None };
                    let n = Notification::new(lsp::notification::PublishDiagnostics::METHOD.into(), params);
                    connection.sender.send(Message::Notification(n))?;
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

/// A notification: what it changes, and the diagnostics to publish after it.
fn notice(server: &mut Server, uris: &mut HashMap<PathBuf, lsp::Uri>, n: Notification) -> Published {
    use lsp::notification::{DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument};
    match n.method.as_str() {
        DidOpenTextDocument::METHOD => {
            let Ok(p) = serde_json::from_value::<lsp::DidOpenTextDocumentParams>(n.params) else { return vec![] };
            let Some(path) = path(&p.text_document.uri) else { return vec![] };
            uris.insert(path.clone(), p.text_document.uri);
            server.open(&path, &p.text_document.text)
        }
        DidChangeTextDocument::METHOD => {
            let Ok(p) = serde_json::from_value::<lsp::DidChangeTextDocumentParams>(n.params) else { return vec![] };
            let Some(path) = path(&p.text_document.uri) else { return vec![] };
            // Full-text sync: the last change holds the whole text.
            match p.content_changes.into_iter().last() {
                Some(change) if change.range.is_none() => server.change(&path, &change.text),
                _ => vec![],
            }
        }
        DidChangeWatchedFiles::METHOD => {
            let Ok(p) = serde_json::from_value::<lsp::DidChangeWatchedFilesParams>(n.params) else { return vec![] };
            p.changes.iter().filter_map(|c| path(&c.uri)).flat_map(|f| server.on_disk(&f)).collect()
        }
        DidCloseTextDocument::METHOD => {
            let Ok(p) = serde_json::from_value::<lsp::DidCloseTextDocumentParams>(n.params) else { return vec![] };
            let Some(path) = path(&p.text_document.uri) else { return vec![] };
            server.close(&path)
        }
        _ => vec![],
    }
}

/// A request's parameters read as `R`'s.
fn params<R: lsp::request::Request>(req: Request) -> std::result::Result<R::Params, String> {
    serde_json::from_value(req.params).map_err(|e| format!("bad parameters for `{}`: {e}", R::METHOD))
}

fn location(place: Place) -> Option<lsp::Location> {
    Some(lsp::Location { uri: uri(&place.0)?, range: place.1 })
}

/// A result as JSON (`null` for `None`).
fn value<T: serde::Serialize>(v: T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or_default()
}

/// The answer to a request.
fn answer(server: &mut Server, req: Request) -> Response {
    use lsp::request::*;
    let id = req.id.clone();
    let result = match req.method.as_str() {
        HoverRequest::METHOD => params::<HoverRequest>(req).map(|p| {
            let at = p.text_document_position_params;
            value(path(&at.text_document.uri).and_then(|f| server.hover(&f, at.position)))
        }),
        GotoDefinition::METHOD => params::<GotoDefinition>(req).map(|p| {
            let at = p.text_document_position_params;
            let place = path(&at.text_document.uri).and_then(|f| server.definition(&f, at.position));
            value(place.and_then(location).map(lsp::GotoDefinitionResponse::Scalar))
        }),
        References::METHOD => params::<References>(req).map(|p| {
            let at = p.text_document_position;
            let places = path(&at.text_document.uri)
                .map(|f| server.references(&f, at.position, p.context.include_declaration))
                .unwrap_or_default();
            value(places.into_iter().filter_map(location).collect::<Vec<_>>())
        }),
        Completion::METHOD => params::<Completion>(req).map(|p| {
            let at = p.text_document_position;
            let items = path(&at.text_document.uri).map(|f| server.completion(&f, at.position)).unwrap_or_default();
            value(lsp::CompletionResponse::Array(items))
        }),
        DocumentSymbolRequest::METHOD => params::<DocumentSymbolRequest>(req).map(|p| {
            let symbols = path(&p.text_document.uri).map(|f| server.symbols(&f)).unwrap_or_default();
            value(lsp::DocumentSymbolResponse::Nested(symbols))
        }),
        Formatting::METHOD => {
            params::<Formatting>(req).map(|p| value(path(&p.text_document.uri).and_then(|f| server.format(&f))))
        }
        method => {
            let message = format!("writ does not answer `{method}`");
            return Response::new_err(id, lsp_server::ErrorCode::MethodNotFound as i32, message);
        }
    };
    match result {
        Ok(v) => Response::new_ok(id, v),
        Err(message) => Response::new_err(id, lsp_server::ErrorCode::InvalidParams as i32, message),
    }
}

/// The path of a `file:` URI (percent-decoded); `None` for another scheme.
pub fn path(uri: &lsp::Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    // An authority (`file://localhost/…`) other than none is not a local file.
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let bytes = rest.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = rest.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    let decoded = String::from_utf8(out).ok()?;
    // `file:///c:/…` on Windows.
    let windows = decoded.as_bytes().get(2) == Some(&b':') && decoded.as_bytes()[1].is_ascii_alphabetic();
    Some(PathBuf::from(if windows { &decoded[1..] } else { &decoded[..] }))
}

/// The `file:` URI of an absolute path, each byte outside the unreserved characters and `/`
/// percent-encoded (as VS Code writes them).
pub fn uri(path: &Path) -> Option<lsp::Uri> {
    let text = path.to_str()?;
    let mut out = String::from("file://");
    if !text.starts_with('/') {
        out.push('/');
    }
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out.parse().ok()
}
