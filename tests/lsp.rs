//! `writ lsp` end to end: the built binary driven over its standard input and output with
//! Content-Length framed JSON-RPC, on a copy of the Yangquan package, as an editor would.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

/// A client: the server process, its input, and the messages it sends, read on a thread.
struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for a response.
    pending: Vec<Value>,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_writ"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("writ lsp starts");
        let stdin = child.stdin.take().unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let (tx, messages) = channel();
        std::thread::spawn(move || {
            loop {
                let mut len = None;
                loop {
                    let mut line = String::new();
                    if out.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        len = Some(n.parse::<usize>().expect("a length"));
                    }
                }
                let mut body = vec![0; len.expect("a Content-Length header")];
                out.read_exact(&mut body).expect("the whole body");
                if tx.send(serde_json::from_slice(&body).expect("JSON")).is_err() {
                    return;
                }
            }
        });
        Client { child, stdin, messages, next_id: 0, pending: Vec::new() }
    }

    fn send(&mut self, msg: Value) {
        let body = serde_json::to_string(&msg).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn receive(&mut self) -> Value {
        self.messages.recv_timeout(Duration::from_secs(120)).expect("the server answers within two minutes")
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let msg = self.receive();
            if msg.get("id") == Some(&json!(id)) {
                assert!(msg.get("error").is_none(), "{method}: {msg}");
                return msg["result"].clone();
            }
            self.pending.push(msg);
        }
    }

    /// The error a request is answered with.
    fn request_error(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let msg = self.receive();
            if msg.get("id") == Some(&json!(id)) {
                return msg["error"].clone();
            }
            self.pending.push(msg);
        }
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// The diagnostics next published for `uri`.
    fn diagnostics_for(&mut self, uri: &str) -> Vec<Value> {
        loop {
            let msg = match self.pending.iter().position(|m| m["method"] == "textDocument/publishDiagnostics") {
                Some(i) => self.pending.remove(i),
                None => self.receive(),
            };
            if msg["method"] == "textDocument/publishDiagnostics" && msg["params"]["uri"] == uri {
                return msg["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

/// A copy of the Yangquan package in a folder of its own, removed on drop.
struct Package(PathBuf);

impl Package {
    fn copy() -> Package {
        let dir = std::env::temp_dir().join(format!("writ-lsp-e2e-陽泉-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/yangquan-2019");
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
        }
        Package(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    fn text(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap()
    }
}

impl Drop for Package {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The `file:` URI of a path, percent-encoded as VS Code writes it.
fn uri(path: &Path) -> String {
    let mut out = String::from("file://");
    for b in path.to_str().unwrap().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The protocol position of the `nth` (0-based) occurrence of `needle` in `text`, plus
/// `into` characters: line, and UTF-16 units from the line's start.
fn position(text: &str, needle: &str, nth: usize, into: usize) -> Value {
    let at = text.match_indices(needle).nth(nth).unwrap_or_else(|| panic!("`{needle}` #{nth} in the text")).0;
    let at = at + needle.chars().take(into).map(char::len_utf8).sum::<usize>();
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = text[..at].matches('\n').count();
    json!({ "line": line, "character": text[line_start..at].encode_utf16().count() })
}

fn range(text: &str, needle: &str, nth: usize) -> Value {
    json!({ "start": position(text, needle, nth, 0), "end": position(text, needle, nth, needle.chars().count()) })
}

fn at(uri: &str, pos: Value) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": pos })
}

#[test]
fn an_editing_session_on_the_yangquan_package() {
    let pkg = Package::copy();
    let mut c = Client::start();
    let init = c.request("initialize", json!({ "processId": null, "rootUri": null, "capabilities": {} }));
    let caps = &init["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(caps["textDocumentSync"]["change"], 1, "full-text sync");
    for cap in [
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "documentSymbolProvider",
        "documentFormattingProvider",
    ] {
        assert_eq!(caps[cap], true, "{cap}");
    }
    c.notify("initialized", json!({}));

    // Open a file of clauses: every file of the package is checked, and none has an error.
    let file = pkg.path("11-industry.writ");
    let u = uri(&file);
    let text = pkg.text("11-industry.writ");
    c.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": u, "languageId": "writ", "version": 1, "text": text } }),
    );
    assert_eq!(c.diagnostics_for(&u), Vec::<Value>::new());

    // An edit that names a field the record does not have: an error on the name, where the
    // protocol counts it (UTF-16 units after Chinese text).
    let broken = text.replacen("e.搬遷改造完成日 by 2019-09-30", "e.搬遷改造完成 by 2019-09-30", 1);
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": u, "version": 2 }, "contentChanges": [{ "text": broken }] }),
    );
    let diags = c.diagnostics_for(&u);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["severity"], 1);
    assert_eq!(diags[0]["source"], "writ");
    assert!(diags[0]["message"].as_str().unwrap().contains("搬遷改造完成"), "{}", diags[0]["message"]);
    let written = &diags[0]["range"];
    let field = range(&broken, "搬遷改造完成 by", 0);
    let whole = range(&broken, "e.搬遷改造完成 by", 0);
    assert_eq!(written["end"], position(&broken, "搬遷改造完成 by", 0, 6), "{diags:?}");
    assert!(written["start"] == field["start"] || written["start"] == whole["start"], "{diags:?}");

    // Fixed: the diagnostics are cleared.
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": u, "version": 3 }, "contentChanges": [{ "text": text }] }),
    );
    assert_eq!(c.diagnostics_for(&u), Vec::<Value>::new());

    // Hover on a clause: its title, cite and roles.
    let hover = c.request("textDocument/hover", at(&u, position(&text, "搬遷改造 \"", 0, 1)));
    let shown = hover["contents"]["value"].as_str().unwrap();
    assert!(shown.contains("**clause** `搬遷改造` — 城市建成區重污染企業搬遷改造"), "{shown}");
    assert!(shown.contains("**三(一)2** 2019年9月底前,完成陽泉市水泵廠"), "{shown}");
    assert!(shown.contains("lead (牽頭): 市工信局"), "{shown}");
    // The implementer is the government of each enterprise's county.
    assert!(shown.contains("implement (負責落實): e.縣區.人民政府"), "{shown}");
    assert_eq!(hover["range"], range(&text, "搬遷改造", 0));

    // Hover on a field: its record, type and unit.
    let hover = c.request("textDocument/hover", at(&u, position(&text, "e.搬遷改造完成日", 0, 4)));
    let shown = hover["contents"]["value"].as_str().unwrap();
    assert!(shown.contains("**field** `企業.搬遷改造完成日`: date, optional"), "{shown}");
    assert_eq!(hover["range"], range(&text, "搬遷改造完成日", 0));
    let records = pkg.text("03-records.writ");
    let control = pkg.path("12-pollution-control.writ");
    let control_text = pkg.text("12-pollution-control.writ");
    let hover = c.request("textDocument/hover", at(&uri(&control), position(&control_text, "窯.顆粒物", 0, 3)));
    let shown = hover["contents"]["value"].as_str().unwrap();
    assert!(shown.contains("**field** `工業爐窯.顆粒物`: a mass concentration (`kg/m3`) in `mg/m3`"), "{shown}");

    // Hover on a party: its full name.
    let hover = c.request("textDocument/hover", at(&u, position(&text, "lead 市工信局", 0, 6)));
    assert_eq!(hover["contents"]["value"], "**party** `市工信局` — 陽泉市工業和信息化局");

    // Definition of a name declared in another file: the party in 00-plan.writ, the field in
    // 03-records.writ.
    let plan = pkg.text("00-plan.writ");
    let def = c.request("textDocument/definition", at(&u, position(&text, "lead 市工信局", 0, 6)));
    assert_eq!(def["uri"], uri(&pkg.path("00-plan.writ")));
    assert_eq!(def["range"], range(&plan, "市工信局", 0));
    let def = c.request("textDocument/definition", at(&u, position(&text, "e.搬遷改造完成日", 0, 3)));
    assert_eq!(def["uri"], uri(&pkg.path("03-records.writ")));
    assert_eq!(def["range"], range(&records, "搬遷改造完成日", 0));
    let def = c.request("textDocument/definition", at(&u, position(&text, "in 企業[", 0, 4)));
    assert_eq!(def["uri"], uri(&pkg.path("03-records.writ")));
    assert_eq!(
        def["range"],
        range(&records, "企業 \"企業\"", 0)
            .as_object()
            .map(|r| { json!({ "start": r["start"], "end": position(&records, "企業 \"企業\"", 0, 2) }) })
            .unwrap()
    );

    // References of the party: its declaration, its group membership and every clause and
    // test fact that names it, across files.
    let refs = c.request(
        "textDocument/references",
        json!({ "textDocument": { "uri": u }, "position": position(&text, "lead 市工信局", 0, 6), "context": { "includeDeclaration": true } }),
    );
    let refs = refs.as_array().unwrap();
    let mut expected = 0;
    for e in std::fs::read_dir(&pkg.0).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "writ") {
            let t = std::fs::read_to_string(&p).unwrap();
            // Whole names only: `市工信局` not inside a longer name, and not in a comment or a string.
            expected += t
                .lines()
                .map(|l| l.split("//").next().unwrap())
                // Outside strings: the pieces between quotes at even places.
                .flat_map(|l| l.split('"').step_by(2).collect::<Vec<_>>())
                .flat_map(|l| l.split(|c: char| !(c.is_alphanumeric() || c == '_')))
                .filter(|w| *w == "市工信局")
                .count();
        }
    }
    assert_eq!(refs.len(), expected, "{refs:?}");
    assert!(
        refs.iter().any(|r| r["uri"] == uri(&pkg.path("00-plan.writ")) && r["range"] == range(&plan, "市工信局", 0))
    );
    assert!(
        refs.iter().any(|r| r["uri"] == uri(&pkg.path("00-plan.writ")) && r["range"] == range(&plan, "市工信局", 1))
    );
    assert!(refs.iter().any(|r| r["uri"] == u && r["range"] == range(&text, "市工信局", 0)));

    // Completion: the fields of the record a `for` variable stands for, after its dot.
    let items = c.request("textDocument/completion", at(&u, position(&text, "e.搬遷改造完成日", 0, 2)));
    let labels: Vec<&str> = items.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert!(
        labels.contains(&"搬遷改造完成日") && labels.contains(&"距建成區") && labels.contains(&"行業"),
        "{labels:?}"
    );
    assert!(!labels.contains(&"顆粒物"), "only 企業's fields: {labels:?}");
    let detail = items.as_array().unwrap().iter().find(|i| i["label"] == "距建成區").unwrap();
    assert_eq!(detail["detail"], "企業.距建成區: a length (`m`) in `km`");

    // The same while the line is being typed and the clause does not parse: the variable's
    // binding is read from the text.
    let typing = text.replacen(
        "    otherwise 永久停止原址重污染生產工序 on e\n",
        "    must e.\n    otherwise 永久停止原址重污染生產工序 on e\n",
        1,
    );
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": u, "version": 4 }, "contentChanges": [{ "text": typing }] }),
    );
    assert!(!c.diagnostics_for(&u).is_empty(), "the clause does not parse");
    let items = c.request("textDocument/completion", at(&u, position(&typing, "must e.\n", 0, 7)));
    let labels: Vec<&str> = items.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert!(labels.contains(&"搬遷改造完成日") && !labels.contains(&"顆粒物"), "{labels:?}");

    // Completion of keywords in both languages, names and units, with what is typed so far.
    let typing = text.replacen(
        "    otherwise 永久停止原址重污染生產工序 on e\n",
        "    必\n    otherwise 永久停止原址重污染生產工序 on e\n",
        1,
    );
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": u, "version": 4 }, "contentChanges": [{ "text": typing }] }),
    );
    c.diagnostics_for(&u);
    let items = c.request("textDocument/completion", at(&u, position(&typing, "    必\n", 0, 5)));
    let labels: Vec<&str> = items.as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap()).collect();
    assert!(labels.contains(&"必須") && labels.contains(&"必须"), "{labels:?}");
    let typing = typing.replacen("    必\n", "    工业\n", 1);
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": u, "version": 5 }, "contentChanges": [{ "text": typing }] }),
    );
    c.diagnostics_for(&u);
    let items = c.request("textDocument/completion", at(&u, position(&typing, "    工业\n", 0, 6)));
    let kiln = items.as_array().unwrap().iter().find(|i| i["label"] == "工業爐窯").expect("工業爐窯 for 工业");
    assert_eq!(kiln["filterText"], "工业爐窯", "the editor filters on what was typed");
    let typing = typing.replacen("    工业\n", "    x <= 30 mg\n", 1);
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": u, "version": 6 }, "contentChanges": [{ "text": typing }] }),
    );
    c.diagnostics_for(&u);
    let items = c.request("textDocument/completion", at(&u, position(&typing, "30 mg\n", 0, 5)));
    let units: Vec<&str> =
        items.as_array().unwrap().iter().filter(|i| i["kind"] == 11).map(|i| i["label"].as_str().unwrap()).collect();
    assert!(units.contains(&"mg/m3"), "{units:?}");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": u, "version": 7 }, "contentChanges": [{ "text": text }] }),
    );
    assert_eq!(c.diagnostics_for(&u), Vec::<Value>::new());

    // Document symbols: the clauses under the outline's item their cite names.
    let symbols = c.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": u } }));
    let symbols = symbols.as_array().unwrap();
    let section = symbols
        .iter()
        .find(|s| s["name"] == "三(一)2 加快城市建成區及周邊重污染企業搬遷改造或關閉退出")
        .expect("the section");
    let children: Vec<&str> =
        section["children"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(children, ["搬遷改造", "天成集運站搬遷"]);
    let first = &section["children"][0];
    assert_eq!(first["detail"], "城市建成區重污染企業搬遷改造");
    assert_eq!(first["selectionRange"], range(&text, "搬遷改造", 0));
    assert!(symbols.iter().any(|s| s["name"] == "產能置換項目" && s["kind"] == 23), "a record is a struct");

    // Formatting: a file laid out by hand comes back as `writ fmt` writes it.
    let messy = text.replacen("  lead 市工信局\n", "      lead    市工信局\n", 1);
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": u, "version": 8 }, "contentChanges": [{ "text": messy }] }),
    );
    c.diagnostics_for(&u);
    let edits = c.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": u }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let edits = edits.as_array().unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0]["newText"], text.as_str());
    assert_eq!(edits[0]["range"]["start"], json!({ "line": 0, "character": 0 }));
    assert_eq!(edits[0]["range"]["end"]["line"], messy.matches('\n').count());

    // A file of the package written on disk (not open): read on the editor's notice, and its
    // error shown; removed, its diagnostics cleared.
    let extra = pkg.path("99-extra.writ");
    let extra_text = "party 市工信局 \"又一個\"\n";
    std::fs::write(&extra, extra_text).unwrap();
    c.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": uri(&extra), "type": 1 }] }));
    let diags = c.diagnostics_for(&uri(&extra));
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0]["range"], range(extra_text, "市工信局", 0), "{diags:?}");
    std::fs::remove_file(&extra).unwrap();
    c.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": uri(&extra), "type": 3 }] }));
    assert_eq!(c.diagnostics_for(&uri(&extra)), Vec::<Value>::new());

    // A request writ does not answer, and one whose parameters do not fit: errors, and the
    // server goes on.
    let error = c.request_error("textDocument/rename", json!({}));
    assert_eq!(error["code"], -32601, "{error}");
    let error = c.request_error("textDocument/hover", json!({ "textDocument": 7 }));
    assert_eq!(error["code"], -32602, "{error}");

    // Shutdown and exit: the server ends by itself, successfully.
    assert_eq!(c.request("shutdown", Value::Null), Value::Null);
    c.notify("exit", Value::Null);
    let status = c.child.wait().unwrap();
    assert!(status.success(), "{status}");
}
