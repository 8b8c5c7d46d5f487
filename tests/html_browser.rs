//! The HTML report of the Yangquan example at 2020-01-15, opened in a real browser: Debian's
//! chromium, driven headless over WebDriver by Debian's chromedriver. Every page loads with no
//! console error; the overview's counts are the JSON summary's; a department's page lists
//! exactly the verdicts the JSON gives that department; the search, the status filter and the
//! party filter narrow the list as the JSON says they should.
//!
//! Without chromium and chromedriver (`apt-get install chromium chromium-driver
//! fonts-noto-cjk`) the test says it skips, or fails when `CI` is set. With
//! `WRIT_SCREENSHOTS=1` it also writes `docs/report-overview.png` and
//! `docs/report-department.png`, the screenshots the README shows.
//!
//! WebDriver is HTTP and JSON on the loopback address: a dozen lines over `TcpStream` speak it,
//! and no client crate is needed.

use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The department whose page is checked and shown.
const DEPARTMENT: &str = "市生態環境局";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `writ ARGS` run in the project's folder.
fn writ(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_writ")).args(args).current_dir(root()).output().expect("writ runs")
}

/// chromedriver, started on a free port of the loopback address, and stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let d = Driver { child, port };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(30) {
            if let Ok(v) = d.call("GET", "/status", None)
                && v["ready"] == json!(true)
            {
                return d;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("chromedriver did not answer on port {port} within 30 s");
    }

    /// One WebDriver command: its `value`, or the error it answered with.
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        let body = body.map(Value::to_string).unwrap_or_default();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json; charset=utf-8\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        );
        s.write_all(request.as_bytes()).map_err(|e| e.to_string())?;
        // chromedriver keeps the connection open whatever the request says: the response ends
        // where its length says.
        let mut raw = Vec::new();
        let mut buf = [0u8; 1 << 16];
        let (at, length, chunked) = loop {
            let n = s.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("the connection closed before the headers ended".into());
            }
            raw.extend_from_slice(&buf[..n]);
            if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&raw[..at]).to_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|n| n.trim().parse::<usize>().ok());
                break (at, length, head.contains("transfer-encoding: chunked"));
            }
        };
        let done = |raw: &[u8]| match length {
            Some(n) => raw.len() >= at + 4 + n,
            None if chunked => raw[at + 4..].windows(5).any(|w| w == b"0\r\n\r\n"),
            None => false,
        };
        while !done(&raw) {
            let n = s.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&buf[..n]);
        }
        let mut content = raw[at + 4..].to_vec();
        if let Some(n) = length {
            content.truncate(n);
        }
        if chunked {
            content = unchunk(&content);
        }
        let v: Value =
            serde_json::from_slice(&content).map_err(|e| format!("{e}: {}", String::from_utf8_lossy(&content)))?;
        let value = v.get("value").cloned().unwrap_or(Value::Null);
        if value.get("error").is_some() {
            return Err(format!("{method} {path}: {value}"));
        }
        Ok(value)
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The body of a chunked HTTP response.
fn unchunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
    out
}

/// A browser session, ended when dropped.
struct Session<'d> {
    d: &'d Driver,
    id: String,
    profile: PathBuf,
}

impl<'d> Session<'d> {
    fn new(d: &'d Driver, profile: PathBuf) -> Session<'d> {
        let _ = std::fs::remove_dir_all(&profile);
        std::fs::create_dir_all(&profile).unwrap();
        let args = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1400,1000",
            "--lang=zh-TW",
        ];
        let mut args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.display()));
        let caps = json!({ "capabilities": { "alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
            "goog:loggingPrefs": { "browser": "ALL" },
        }}});
        let v = d.call("POST", "/session", Some(&caps)).expect("a browser session starts");
        Session { d, id: v["sessionId"].as_str().expect("a session id").to_string(), profile }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let path = format!("/session/{}{path}", self.id);
        self.d.call(method, &path, body.as_ref()).unwrap_or_else(|e| panic!("{e}"))
    }

    fn open(&self, file: &Path) {
        let url = format!("file://{}", file.display());
        self.call("POST", "/url", Some(json!({ "url": url })));
    }

    fn run(&self, script: &str) -> Value {
        self.call("POST", "/execute/sync", Some(json!({ "script": script, "args": [] })))
    }

    /// The browser's console messages since the last call.
    fn log(&self) -> Vec<Value> {
        self.call("POST", "/se/log", Some(json!({ "type": "browser" }))).as_array().cloned().unwrap_or_default()
    }

    fn element(&self, css: &str) -> String {
        let v = self.call("POST", "/element", Some(json!({ "using": "css selector", "value": css })));
        v.as_object().and_then(|o| o.values().next()).and_then(Value::as_str).expect("an element").to_string()
    }

    fn type_into(&self, css: &str, text: &str) {
        let e = self.element(css);
        self.call("POST", &format!("/element/{e}/value"), Some(json!({ "text": text })));
    }

    fn click(&self, css: &str) {
        let e = self.element(css);
        self.call("POST", &format!("/element/{e}/click"), Some(json!({})));
    }

    /// A PNG of the page, as tall as its content up to `max_height` pixels.
    fn screenshot(&self, max_height: u64) -> Vec<u8> {
        let h = self.run("return document.documentElement.scrollHeight").as_u64().unwrap_or(1000).min(max_height);
        self.call("POST", "/window/rect", Some(json!({ "width": 1400, "height": h + 140 })));
        let b64 = self.call("GET", "/screenshot", None);
        base64(b64.as_str().expect("a screenshot"))
    }

    /// The ids of the verdicts a list page shows (those the filters keep).
    fn shown_ids(&self) -> Vec<String> {
        let v = self.run(
            "return Array.prototype.map.call(document.querySelectorAll('#items .item:not([hidden])'), \
             function(e){return e.getAttribute('data-id');})",
        );
        v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
    }

    fn shown_count(&self) -> u64 {
        self.run("return Number(document.getElementById('shown').textContent)").as_u64().unwrap()
    }
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        let _ = self.d.call("DELETE", &format!("/session/{}", self.id), None);
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Standard base64, as WebDriver sends a screenshot.
fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let digits: Vec<u8> = text.bytes().filter_map(value).collect();
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &d)| n | (u32::from(d) << (18 - 6 * i)));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

/// Console messages that are errors.
fn errors(log: &[Value]) -> Vec<String> {
    log.iter().filter(|m| m["level"] == json!("SEVERE")).map(|m| m["message"].to_string()).collect()
}

#[test]
fn the_html_report_in_a_real_browser() {
    if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
        let why = format!(
            "{CHROMIUM} or {CHROMEDRIVER} is missing: install them with \
             `apt-get install -y chromium chromium-driver fonts-noto-cjk` (.ci/run does)"
        );
        if std::env::var_os("CI").is_some() {
            panic!("{why}");
        }
        println!("skipped the HTML report's browser test: {why}");
        return;
    }
    let work = root().join("target").join("html-browser-test");
    let out = work.join("report");
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&work).unwrap();
    let (policy, facts, as_of) = ("policies/yangquan-2019", "examples/yangquan-2019", "2020-01-15");
    let made = writ(&["report", policy, "--facts", facts, "--as-of", as_of, "--html", out.to_str().unwrap()]);
    assert_eq!(made.status.code(), Some(1), "{}", String::from_utf8_lossy(&made.stderr));
    let json = writ(&["eval", policy, "--facts", facts, "--as-of", as_of, "--format", "json"]);
    let json: Value = serde_json::from_slice(&json.stdout).expect("the JSON report");
    let verdicts = json["verdicts"].as_array().unwrap();

    let driver = Driver::start();
    let s = Session::new(&driver, work.join("profile"));

    // Every page loads, with a title and no console error.
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().path()).collect();
    pages.sort();
    assert!(pages.len() > 10, "{pages:?}");
    let (mut in_sections, mut plan_texts) = (0, 0);
    for page in &pages {
        s.open(page);
        let state = s.run("return [document.readyState, document.title, document.querySelectorAll('main').length]");
        assert_eq!(state[0], json!("complete"), "{}", page.display());
        assert!(!state[1].as_str().unwrap().is_empty(), "{} has a title", page.display());
        assert_eq!(state[2], json!(1), "{}", page.display());
        let log = s.log();
        assert!(errors(&log).is_empty(), "{}: {:?}", page.display(), errors(&log));
        if page.file_name().unwrap().to_str().unwrap().starts_with("section-") {
            let counts = s.run(
                "return [document.querySelectorAll('#items .item').length, document.querySelectorAll('.plan').length]",
            );
            in_sections += counts[0].as_u64().unwrap() as usize;
            plan_texts += counts[1].as_u64().unwrap() as usize;
        }
    }
    // Each verdict is on the page of its section once, beside the plan's text of its clause.
    assert_eq!(in_sections, verdicts.len());
    assert!(plan_texts > 50, "{plan_texts}");

    // The overview's counts are the JSON summary's.
    s.open(&out.join("index.html"));
    let cards = s.run(
        "var o={};document.querySelectorAll('#by-status [data-status]').forEach(function(e){\
         o[e.getAttribute('data-status')]=Number(e.getAttribute('data-count'))});return o",
    );
    let summary = &json["summary"];
    assert_eq!(cards["total"], summary["verdicts"], "{cards}");
    let by_status = summary["by_status"].as_object().unwrap();
    for (status, n) in by_status {
        assert_eq!(&cards[status], n, "{status}: {cards}");
    }
    assert_eq!(cards.as_object().unwrap().len(), by_status.len() + 1, "{cards}");
    // The tables by party and by section add up to the verdicts of the party (a verdict counts
    // for each party it names) and to every verdict.
    let section_total = s.run(
        "var n=0;document.querySelectorAll('#by-section tr[data-total]').forEach(function(e){\
         n+=Number(e.getAttribute('data-total'))});return n",
    );
    assert_eq!(section_total, summary["verdicts"]);
    let overview_png = s.screenshot(2600);

    // A department's page lists exactly the verdicts the JSON gives that department.
    let owes = |v: &Value, party: &str| {
        v["parties"].as_object().unwrap().values().any(|ps| ps.as_array().unwrap().iter().any(|p| p == party))
    };
    let expected: Vec<String> =
        verdicts.iter().filter(|v| owes(v, DEPARTMENT)).map(|v| v["id"].as_str().unwrap().to_string()).collect();
    assert!(expected.len() > 20, "{DEPARTMENT} owes {} verdicts", expected.len());
    let href = s.run(&format!(
        "var r=document.querySelector('#by-party tr[data-name=\"{DEPARTMENT}\"]');\
         return [r.querySelector('a').getAttribute('href'), Number(r.getAttribute('data-total'))]"
    ));
    assert_eq!(href[1], json!(expected.len()), "the overview's count for {DEPARTMENT}");
    let page = out.join(href[0].as_str().unwrap());
    s.open(&page);
    let listed = s.shown_ids();
    assert_eq!(listed.len(), expected.len(), "each verdict once");
    assert_eq!(
        listed.iter().collect::<BTreeSet<_>>(),
        expected.iter().collect::<BTreeSet<_>>(),
        "{DEPARTMENT}'s page lists its verdicts and no other"
    );
    let heading = s.run("return document.querySelector('main h2').textContent");
    assert!(heading.as_str().unwrap().contains(DEPARTMENT), "{heading}");
    // Typing in its search narrows the list to the verdicts whose text has the words.
    s.type_into("#q", "焦化");
    let narrowed = s.shown_ids();
    assert!(!narrowed.is_empty() && narrowed.len() < listed.len(), "{} of {}", narrowed.len(), listed.len());
    assert_eq!(s.shown_count(), narrowed.len() as u64);
    s.run("var q=document.getElementById('q');q.value='';q.dispatchEvent(new Event('input'))");
    assert_eq!(s.shown_ids().len(), listed.len());
    // The first verdict opened, to show its explanation.
    s.run("document.querySelector('#items details').open = true");
    let department_png = s.screenshot(1800);

    // The page of every verdict: the status filter keeps that status's verdicts, the party
    // filter that party's, and the search those that have the words.
    s.open(&out.join("verdicts.html"));
    assert_eq!(s.shown_ids().len(), verdicts.len());
    s.click("#fs option[value=\"violated\"]");
    let violated: BTreeSet<String> = verdicts
        .iter()
        .filter(|v| v["status"] == json!("violated"))
        .map(|v| v["id"].as_str().unwrap().into())
        .collect();
    let kept = s.shown_ids();
    assert_eq!(kept.len(), violated.len(), "the status filter keeps the violated verdicts");
    assert_eq!(kept.into_iter().collect::<BTreeSet<_>>(), violated);
    assert_eq!(s.shown_count(), violated.len() as u64);
    s.click("#fs option[value=\"\"]");
    let party = s.run(&format!(
        "var o=Array.prototype.find.call(document.querySelectorAll('#fp option'),function(o){{return o.textContent==='{DEPARTMENT}'}});\
         return o.value"
    ));
    s.click(&format!("#fp option[value=\"{}\"]", party.as_str().unwrap()));
    let kept = s.shown_ids();
    assert_eq!(kept.len(), expected.len(), "the party filter keeps {DEPARTMENT}'s verdicts");
    assert_eq!(kept.into_iter().collect::<BTreeSet<_>>(), expected.iter().cloned().collect());
    s.type_into("#q", "VOCs");
    let both = s.shown_ids();
    assert!(!both.is_empty() && both.len() < expected.len(), "{}", both.len());
    let texts = s.run(
        "return Array.prototype.map.call(document.querySelectorAll('#items .item:not([hidden])'),\
         function(e){return e.textContent})",
    );
    for t in texts.as_array().unwrap() {
        assert!(t.as_str().unwrap().to_lowercase().contains("vocs"), "{t}");
    }
    // A link from the overview sets the filter: `verdicts.html#s=overdue`.
    let overdue = verdicts.iter().filter(|v| v["status"] == json!("overdue")).count();
    s.call("POST", "/url", Some(json!({ "url": format!("file://{}#s=overdue", out.join("verdicts.html").display()) })));
    s.call("POST", "/refresh", Some(json!({})));
    assert_eq!(s.shown_ids().len(), overdue);
    assert!(errors(&s.log()).is_empty());

    if std::env::var_os("WRIT_SCREENSHOTS").is_some() {
        std::fs::write(root().join("docs/report-overview.png"), overview_png).unwrap();
        std::fs::write(root().join("docs/report-department.png"), department_png).unwrap();
        println!("wrote docs/report-overview.png and docs/report-department.png");
    }
}
