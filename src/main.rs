//! The `writ` command line.

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use writ::cli::{self, Format, Style};

#[derive(Parser)]
#[command(
    name = "writ",
    version,
    about = "Policy-as-code for government action plans: check policies, evaluate facts, explain verdicts"
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Human,
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
        }
    }
}

/// The language of a report's labels (`--lang`).
#[derive(Clone, Copy, ValueEnum)]
enum LangArg {
    /// English.
    #[value(name = "en")]
    En,
    /// Chinese in Simplified characters.
    #[value(name = "zh-Hans")]
    ZhHans,
    /// Chinese in Traditional characters.
    #[value(name = "zh-Hant")]
    ZhHant,
}

impl From<LangArg> for writ::lang::Lang {
    fn from(l: LangArg) -> writ::lang::Lang {
        match l {
            LangArg::En => writ::lang::Lang::En,
            LangArg::ZhHans => writ::lang::Lang::ZhHans,
            LangArg::ZhHant => writ::lang::Lang::ZhHant,
        }
    }
}

/// The language `writ fmt --keywords` writes keywords in.
#[derive(Clone, Copy, ValueEnum)]
enum KeywordsArg {
    /// English.
    En,
    /// Chinese, in the script of the package.
    Zh,
}

impl From<KeywordsArg> for writ::cli::Keywords {
    fn from(k: KeywordsArg) -> writ::cli::Keywords {
        match k {
            KeywordsArg::En => writ::cli::Keywords::En,
            KeywordsArg::Zh => writ::cli::Keywords::Zh,
        }
    }
}

/// Which verdicts a human report lists (`--only`).
#[derive(Clone, Copy, ValueEnum)]
enum OnlyArg {
    /// Breaches of binding duties: violated, overdue, fulfilled_late.
    Breaches,
    /// Matters still open: violated, overdue, pending, unknown.
    Open,
    /// Every verdict, the passing ones of a large clause too.
    All,
}

/// How a human report is written.
#[derive(clap::Args)]
struct ReportArgs {
    /// The language of the report's labels, statuses and dates; without it, the language the
    /// plan declares (`language "zh-Hant"`), else English. The plan's own text is not translated.
    #[arg(long, value_enum)]
    lang: Option<LangArg>,
    /// List only these verdicts (human report). Without it, every verdict is listed, except
    /// that a clause's passing verdicts past 20 are counted on one line.
    #[arg(long, value_enum)]
    only: Option<OnlyArg>,
}

impl ReportArgs {
    fn options(&self, summary: bool) -> writ::report::HumanOptions {
        writ::report::HumanOptions {
            lang: self.lang.map(Into::into),
            only: self.only.map(|o| match o {
                OnlyArg::Breaches => writ::report::Only::Breaches,
                OnlyArg::Open => writ::report::Only::Open,
                OnlyArg::All => writ::report::Only::All,
            }),
            summary,
        }
    }
}

/// The fact files of an evaluation.
#[derive(clap::Args)]
struct Facts {
    /// Fact files (`.json`, `.ndjson`, `.csv`, `.yaml`, `.toml`, `.xlsx`, `.parquet`) or folders of
    /// them.
    #[arg(long = "facts", value_name = "PATH", num_args = 1.., required = true)]
    paths: Vec<PathBuf>,
    /// The encoding of CSV fact files that are not UTF-8 (`gbk`, `gb18030`, `big5`…); without
    /// it, the encoding is detected. A file with a BOM is read in the encoding the BOM names.
    #[arg(long, value_name = "NAME", value_parser = cli::parse_encoding)]
    encoding: Option<&'static encoding_rs::Encoding>,
    /// Where the records of derived kinds are grouped: `native` (in writ), `datafusion`
    /// (Apache DataFusion in this process, with `--features datafusion`), or
    /// `ballista://HOST:PORT` (the aggregates computed on a Ballista cluster from the Parquet
    /// files the records were read from, with `--features ballista`). The verdicts are the same.
    #[arg(long, value_name = "ENGINE", value_parser = writ::eval::parse_engine, default_value = "native")]
    engine: writ::eval::Engine,
    /// With `--engine datafusion`: the most memory its plans may hold (`4GB`, `512MB`); past
    /// it, they spill to disk.
    #[arg(long, value_name = "SIZE", value_parser = writ::eval::parse_size)]
    memory_limit: Option<u64>,
}

impl Facts {
    fn files(&self) -> cli::FactFiles<'_> {
        let engine = match &self.engine {
            writ::eval::Engine::DataFusion { .. } => writ::eval::Engine::DataFusion { memory_limit: self.memory_limit },
            other => other.clone(),
        };
        cli::FactFiles { paths: &self.paths, encoding: self.encoding, threads: None, engine }
    }

    /// `--memory-limit` without an engine that takes it.
    fn check(&self) -> Result<(), String> {
        match (&self.engine, self.memory_limit) {
            (writ::eval::Engine::Native | writ::eval::Engine::Ballista { .. }, Some(_)) => {
                Err("`--memory-limit` limits the DataFusion engine: give `--engine datafusion` with it".into())
            }
            _ => Ok(()),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Check a policy package and report every error.
    Check {
        /// The folder of `.writ` files.
        dir: PathBuf,
    },
    /// Evaluate a policy package against fact files as of a date.
    Eval {
        /// The folder of `.writ` files.
        dir: PathBuf,
        #[command(flatten)]
        facts: Facts,
        /// The evaluation date, YYYY-MM-DD: facts dated later are not yet known.
        #[arg(long = "as-of", value_parser = cli::parse_date)]
        as_of: writ::value::Date,
        #[arg(long, value_enum, default_value = "human")]
        format: FormatArg,
        /// Exit with code 2 when any record is rejected or a fact file has an error. Without it
        /// they are reported, the rest is evaluated, and the exit code comes from the verdicts.
        #[arg(long)]
        strict: bool,
        #[command(flatten)]
        report: ReportArgs,
        /// Counts by status, by responsible party and by plan section instead of the verdicts
        /// (human report).
        #[arg(long)]
        summary: bool,
        /// Also write the verdicts to FILE as a workbook: a summary sheet, a sheet of every
        /// verdict and a sheet per responsible party, in the report's language. The report is
        /// printed as usual.
        #[arg(long, value_name = "FILE")]
        xlsx: Option<PathBuf>,
    },
    /// Write the verdicts as documents to read and forward: a folder of HTML pages (`--html`),
    /// a workbook (`--xlsx`). Exit codes as `writ eval`: 0 no breach, 1 a breach, 2 invalid
    /// input or a document that could not be written.
    #[command(group = clap::ArgGroup::new("documents").required(true).multiple(true))]
    Report {
        /// The folder of `.writ` files.
        dir: PathBuf,
        #[command(flatten)]
        facts: Facts,
        /// The evaluation date, YYYY-MM-DD: facts dated later are not yet known.
        #[arg(long = "as-of", value_parser = cli::parse_date)]
        as_of: writ::value::Date,
        /// The language of the documents' labels, statuses and dates; without it, the plan's,
        /// else English.
        #[arg(long, value_enum)]
        lang: Option<LangArg>,
        /// Write the HTML report into the folder OUT_DIR (made if missing): `index.html`, the
        /// overview, then a page of every verdict, a page per responsible party and a page per
        /// plan section. It opens from the disk, with no server and nothing fetched.
        #[arg(long, value_name = "OUT_DIR", group = "documents")]
        html: Option<PathBuf>,
        /// Write the workbook to FILE: a summary sheet, a sheet of every verdict and a sheet per
        /// responsible party.
        #[arg(long, value_name = "FILE", group = "documents")]
        xlsx: Option<PathBuf>,
        /// Write the notice for circulation (监督通报) to FILE, as Markdown: the overview, the
        /// breaches and overdue duties by responsible party, the targets missed, the deadlines
        /// of this month and the next, and what cannot be decided.
        #[arg(long, value_name = "FILE", group = "documents")]
        doc: Option<PathBuf>,
    },
    /// List the obligations falling due in a window, by party, in deadline order.
    Agenda {
        /// The folder of `.writ` files.
        dir: PathBuf,
        #[command(flatten)]
        facts: Facts,
        /// The window's first day, YYYY-MM-DD.
        #[arg(long, value_parser = cli::parse_date)]
        from: writ::value::Date,
        /// The window's last day, YYYY-MM-DD.
        #[arg(long, value_parser = cli::parse_date)]
        to: writ::value::Date,
        /// The date statuses are computed at (default: `--from`).
        #[arg(long = "as-of", value_parser = cli::parse_date)]
        as_of: Option<writ::value::Date>,
        #[arg(long, value_enum, default_value = "human")]
        format: FormatArg,
        #[command(flatten)]
        report: ReportArgs,
    },
    /// For each numbered item of the plan, the clauses that encode it; flags items with none.
    Coverage {
        /// The folder of `.writ` files.
        dir: PathBuf,
        #[arg(long, value_enum, default_value = "human")]
        format: FormatArg,
    },
    /// Explain one verdict in full: the plan text, who owes it, what was compared, the facts used.
    Explain {
        /// The folder of `.writ` files.
        dir: PathBuf,
        /// The verdict's id, as `writ eval` prints it.
        id: String,
        #[command(flatten)]
        facts: Facts,
        /// The evaluation date, YYYY-MM-DD.
        #[arg(long = "as-of", value_parser = cli::parse_date)]
        as_of: writ::value::Date,
        #[arg(long, value_enum, default_value = "human")]
        format: FormatArg,
        /// The language of the explanation's labels; without it, the plan's, else English.
        #[arg(long, value_enum)]
        lang: Option<LangArg>,
    },
    /// Compare two evaluations: the verdicts that change between two versions of a package over
    /// the same facts (`writ diff OLD NEW --facts F…`), or between two fact sets over one package
    /// (`writ diff DIR --facts OLD… --against NEW…`), grouped by clause. Exit 0: no change; 1:
    /// some verdict or clause differs; 2: invalid input.
    Diff {
        /// The folder of `.writ` files (the old version, when NEW is given).
        old: PathBuf,
        /// The new version of the package; without it, DIR is compared with itself over the
        /// fact sets `--facts` and `--against`.
        #[arg(required_unless_present = "against")]
        new: Option<PathBuf>,
        #[command(flatten)]
        facts: Facts,
        /// The new side's fact files or folders (the old side reads `--facts`); without it,
        /// both sides read `--facts`.
        #[arg(long, value_name = "PATH", num_args = 1..)]
        against: Vec<PathBuf>,
        /// The evaluation date of both sides, YYYY-MM-DD.
        #[arg(long = "as-of", value_parser = cli::parse_date)]
        as_of: writ::value::Date,
        #[arg(long, value_enum, default_value = "human")]
        format: FormatArg,
        /// The language of the labels; without it, the new plan's, else English.
        #[arg(long, value_enum)]
        lang: Option<LangArg>,
    },
    /// Run the `test` blocks of a policy package.
    Test {
        /// The folder of `.writ` files.
        dir: PathBuf,
        /// Also print how many of the package's requirements and clauses a test reaches (an
        /// `expect` answered by one of their verdicts), as a percentage, and those none reaches.
        #[arg(long)]
        coverage: bool,
        /// Also write the results as JUnit XML to FILE (one testsuite for the package, one
        /// testcase per `test` block).
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
    },
    /// Lay out `.writ` files in the one canonical layout, in place.
    Fmt {
        /// Write nothing: print a diff of each file that would change, and exit 1 if any would.
        #[arg(long)]
        check: bool,
        /// Write every keyword in this language: `zh` in the script of the package (its plan's
        /// `language`, else the script of its text), `en` in English. Without it, each keyword
        /// stays in the language it is written in.
        #[arg(long, value_enum)]
        keywords: Option<KeywordsArg>,
        /// `.writ` files or folders of them; `-` reads a policy from standard input and writes
        /// it formatted to standard output.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Work on fact files: `writ facts convert` writes them as Parquet.
    Facts {
        #[command(subcommand)]
        command: FactsCommand,
    },
    /// Print the SQL that computes the package's derived kinds in a database (`--features
    /// datafusion`): per kind, a view over tables as `writ facts convert` writes them, or why
    /// writ computes the kind itself.
    Sql {
        /// The folder of `.writ` files.
        dir: PathBuf,
        /// The database's dialect: postgres, duckdb, sqlite, mysql or bigquery.
        #[arg(long, default_value = "postgres")]
        dialect: String,
        /// Count only the records known by this date, YYYY-MM-DD (those dated on or before it),
        /// as `writ eval --as-of` does. Without it, every record is counted.
        #[arg(long = "as-of", value_parser = cli::parse_date)]
        as_of: Option<writ::value::Date>,
    },
    /// Serve the Language Server Protocol on standard input and output (for an editor):
    /// diagnostics as you type, hover, definitions, references, completion, outline, formatting.
    Lsp,
}

impl Command {
    /// The checks of arguments that clap cannot make alone.
    fn check(&self) -> Result<(), String> {
        match self {
            Command::Facts { command: FactsCommand::Convert { facts, .. } }
                if facts.engine != writ::eval::Engine::Native =>
            {
                Err("`writ facts convert` reads and writes records and groups none: leave out `--engine`".into())
            }
            Command::Eval { facts, .. }
            | Command::Report { facts, .. }
            | Command::Agenda { facts, .. }
            | Command::Explain { facts, .. }
            | Command::Diff { facts, .. }
            | Command::Facts { command: FactsCommand::Convert { facts, .. } } => facts.check(),
            _ => Ok(()),
        }
    }
}

#[derive(Subcommand)]
enum FactsCommand {
    /// Write fact files as Parquet, one file per record kind (`--features parquet`).
    ///
    /// The facts are read as `writ eval` reads them (same checks, same accounting), and each
    /// record kind is written to `OUT_DIR/KIND.parquet`, typed from its declaration. Exit 0 when
    /// every record read was written, 2 when some were not (rejected records, unreadable values,
    /// files that could not be read), which are reported.
    Convert {
        /// The folder of `.writ` files whose records the facts hold.
        dir: PathBuf,
        #[command(flatten)]
        facts: Facts,
        /// The folder to write the Parquet files into (made if missing).
        #[arg(long, value_name = "OUT_DIR")]
        to: PathBuf,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    if let Err(why) = args.command.check() {
        Args::command().error(clap::error::ErrorKind::ArgumentConflict, why).exit();
    }
    // The pool that copies and sorts millions of verdicts uses the threads evaluation may use.
    // (It can only fail if built already, and then it is.)
    let _ = rayon::ThreadPoolBuilder::new().num_threads(writ::cli::threads()).build_global();
    let style = Style {
        color: std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        width: 100,
        // Long reads show their progress on a terminal, never in a pipe or a log.
        progress: std::io::stderr().is_terminal(),
    };
    let out = match args.command {
        Command::Lsp => {
            return match writ::lsp::run() {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("writ lsp: {e}");
                    ExitCode::from(cli::EXIT_INVALID as u8)
                }
            };
        }
        Command::Check { dir } => cli::check(&dir, style),
        Command::Facts { command: FactsCommand::Convert { dir, facts, to } } => {
            cli::convert_facts(&dir, facts.files(), &to, style)
        }
        Command::Eval { dir, facts, as_of, format, strict, report, summary, xlsx } => {
            // The report goes out as it is written, never held whole, and the process ends
            // without freeing the facts and verdicts one by one.
            let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            let options = report.options(summary);
            let xlsx = xlsx.as_deref();
            cli::eval_and_exit(&mut stdout, &dir, facts.files(), as_of, format.into(), style, strict, &options, xlsx)
        }
        Command::Report { dir, facts, as_of, lang, html, xlsx, doc } => {
            let documents = cli::Documents { html: html.as_deref(), xlsx: xlsx.as_deref(), doc: doc.as_deref() };
            cli::report(&dir, facts.files(), as_of, lang.map(Into::into), documents, style)
        }
        Command::Agenda { dir, facts, from, to, as_of, format, report } => {
            cli::agenda_with(&dir, facts.files(), from, to, as_of, format.into(), style, &report.options(false))
        }
        Command::Diff { old, new, facts, against, as_of, format, lang } => {
            let old_facts = facts.files();
            let against = (!against.is_empty()).then(|| cli::FactFiles {
                paths: &against,
                encoding: facts.encoding,
                threads: None,
                engine: old_facts.engine.clone(),
            });
            let inputs = cli::DiffInputs { old: &old, new: new.as_deref(), facts: old_facts, against, as_of };
            cli::diff(inputs, format.into(), style, lang.map(Into::into))
        }
        Command::Test { dir, coverage, junit } => {
            cli::test_with(&dir, style, cli::TestOptions { coverage, junit: junit.as_deref() })
        }
        Command::Explain { dir, id, facts, as_of, format, lang } => {
            cli::explain_in(&dir, facts.files(), as_of, &id, format.into(), style, lang.map(Into::into))
        }
        Command::Coverage { dir, format } => cli::coverage(&dir, format.into(), style),
        Command::Sql { dir, dialect, as_of } => cli::sql(&dir, &dialect, as_of, style),
        Command::Fmt { check, keywords, paths } if paths.len() == 1 && paths[0].as_os_str() == "-" => {
            let mut text = String::new();
            match std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text) {
                Ok(_) => cli::fmt_text(&text, check, keywords.map(Into::into), style),
                Err(e) => {
                    eprintln!("cannot read standard input: {e}");
                    return ExitCode::from(cli::EXIT_INVALID as u8);
                }
            }
        }
        Command::Fmt { check, keywords, paths } => cli::fmt(&paths, check, keywords.map(Into::into), style),
    };
    // A closed pipe (`writ eval … | head`) is not an error worth a panic.
    let _ = std::io::stdout().write_all(out.stdout.as_bytes());
    let _ = std::io::stderr().write_all(out.stderr.as_bytes());
    ExitCode::from(out.code as u8)
}
