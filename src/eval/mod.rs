//! Checked model + facts + as-of date → verdicts with evidence. No IO; never panics on user data.

#[cfg(feature = "ballista")]
pub mod ballista;
mod compiled;
#[cfg(feature = "datafusion")]
mod datafusion;
mod derive;
mod engine;
mod expr;
#[cfg(feature = "datafusion")]
mod files;
mod render;
mod said;
#[cfg(feature = "datafusion")]
pub mod sql;
mod verdict;

pub use derive::{Derived, Placer, derivation, derive, derive_interpreted, derive_on, derive_owned};
pub use engine::{BySubject, Engine, PerSubject, parse_engine, parse_size};
#[cfg(feature = "datafusion")]
pub use files::{clean_part, compute_unkept, unkept_kinds};
pub use said::{A_PERIOD, PLAN_PERIOD, Said};
pub use verdict::*;

use crate::facts::Facts;
use crate::model::*;
use crate::syntax::ast::{DeadlineKind, Modality};
use crate::time::{MAX_OCCURRENCES, occurrence_count};
use crate::value::{Date, Value};
use expr::{Ev, Fmt, R};
use indexmap::IndexMap;
use std::collections::HashMap;
use std::sync::Arc;

/// Facts listed in one verdict; the rest are counted in `more_facts`.
const MAX_FACTS: usize = 20;

/// Rows a scope over every record of a kind must have before it is split across threads.
const PARALLEL_MIN_ROWS: u32 = 4096;

/// Evaluates every clause of the model as of a date, on one thread.
pub fn evaluate<'m>(model: &'m Model, facts: &'m Facts, as_of: Date) -> Evaluation<'m> {
    evaluate_with(model, facts, as_of, as_of, 1)
}

/// Evaluates as of `as_of`, listing the occurrences of recurring obligations over open-ended
/// periods up to the one after `through` (at least the as-of date), all as known on `as_of`;
/// on one thread.
pub fn evaluate_through<'m>(model: &'m Model, facts: &'m Facts, as_of: Date, through: Date) -> Evaluation<'m> {
    evaluate_with(model, facts, as_of, through, 1)
}

/// Like [`evaluate_through`], with a scope over many records (a `for` over every record of a
/// kind) split across up to `threads` threads. The verdicts, their order and ids, and the
/// summary are the same on any number of threads.
pub fn evaluate_with<'m>(
    model: &'m Model,
    facts: &'m Facts,
    as_of: Date,
    through: Date,
    threads: usize,
) -> Evaluation<'m> {
    evaluate_on(Ev::new(model, facts, as_of), through, threads).expect("every verdict is kept")
}

/// Like [`evaluate_with`], for a report that counts the passing verdicts of a clause with more
/// than `over` of them rather than listing them: those are counted and left out as they are
/// made ([`Folded`]), so that a clause checking millions of readings does not hold a verdict
/// for each. The counts are in [`Evaluation::left_out`]; the summary, the other verdicts and
/// their ids are as [`evaluate_with`] gives them.
pub fn evaluate_folding<'m>(
    model: &'m Model,
    facts: &'m Facts,
    as_of: Date,
    through: Date,
    threads: usize,
    over: usize,
) -> Evaluation<'m> {
    evaluate_on_engine(model, facts, (as_of, through), threads, Some(over), None)
}

/// The engine that computes the aggregates of clauses per subject for `engine`, when it does:
/// `--engine datafusion` (on `threads` threads, under its memory limit). Natively, and on a
/// Ballista cluster, they are computed in writ.
pub fn per_subject_on(engine: &Engine, threads: usize) -> Result<Option<Box<dyn PerSubject + Send>>, String> {
    #[cfg(feature = "datafusion")]
    if let Engine::DataFusion { memory_limit } = engine {
        return Ok(Some(Box::new(datafusion::ClauseAggregates::new(threads, *memory_limit)?)));
    }
    let _ = (engine, threads);
    Ok(None)
}

/// Like [`evaluate_with`], or [`evaluate_folding`] when `over` is given, the aggregates of
/// clauses per subject computed by `engine` where it computes them ([`per_subject_on`]).
pub fn evaluate_on_engine<'m>(
    model: &'m Model,
    facts: &'m Facts,
    (as_of, through): (Date, Date),
    threads: usize,
    over: Option<usize>,
    engine: Option<&'m dyn PerSubject>,
) -> Evaluation<'m> {
    let mut ev = Ev::new(model, facts, as_of);
    ev.per_subject = engine;
    ev.out.folded.over = over;
    match evaluate_on(ev, through, threads) {
        Some(e) => e,
        // A clause read the statuses of one with verdicts left out, or an id left out may
        // equal another: every verdict is kept instead.
        None => evaluate_on_engine(model, facts, (as_of, through), threads, None, engine),
    }
}

/// Evaluates as [`evaluate`] does, by walking every expression: no comparison is compiled to
/// read its column ([`compiled`]). The reference the compiled evaluation is held to.
pub fn evaluate_interpreted<'m>(model: &'m Model, facts: &'m Facts, as_of: Date) -> Evaluation<'m> {
    let mut ev = Ev::new(model, facts, as_of);
    ev.compiled = false;
    evaluate_on(ev, as_of, 1).expect("every verdict is kept")
}

/// The evaluation; `None` only when verdicts were left out ([`Folded`]) where they must not be.
fn evaluate_on<'m>(mut ev: Ev<'m>, through: Date, threads: usize) -> Option<Evaluation<'m>> {
    let (model, facts, as_of) = (ev.model, ev.facts, ev.as_of);
    ev.through = through.max(as_of);
    ev.threads = threads.max(1);
    for (ci, clause) in model.clauses.iter().enumerate() {
        let start = ev.out.recs.len() as u32;
        let mut cx = ClauseCx {
            ci: ClauseId::at(ci),
            clause,
            env: vec![None; clause.slots as usize],
            subject: vec![],
            not_applicable: None,
            not_started: None,
            outside: None,
            exemptions: vec![],
        };
        if let Some(p) = &clause.during {
            match ev.ranges(p, &mut cx.env) {
                Ok(rs) if rs.iter().any(|&(a, b)| a <= as_of && as_of <= b) => {}
                // A period still to come: its duties are not due yet, so they are pending (its
                // conditions do not apply yet). Scope filters still run, to name the subjects.
                Ok(rs) if rs.iter().all(|&(a, _)| as_of < a) && !rs.is_empty() => {
                    let start = rs.iter().map(|r| r.0).min().unwrap_or(as_of);
                    cx.not_started = Some(format!("{} starts on {start}, after {as_of}", ev.period_name(p)))
                }
                // A period that has begun but does not hold the as-of date (it is over, or in a
                // gap between its ranges): its conditions do not apply now, but a duty with a
                // deadline was owed while it ran and is judged as usual, or a breach would hide
                // behind `not_applicable`.
                Ok(rs) if !rs.is_empty() && has_deadline(&clause.body) => {
                    cx.outside = Some(Said::Outside { date: as_of, period: &ev.period_name(p) }.text())
                }
                Ok(_) => cx.not_applicable = Some(Said::Outside { date: as_of, period: &ev.period_name(p) }.text()),
                Err(why) => cx.not_applicable = Some(format!("the clause's period is unknown: {why}")),
            }
        }
        cx.exemptions = clause.exemptions.iter().collect();
        run_block(&mut ev, &mut cx, &clause.body);
        ev.out.clauses.push((start, ev.out.recs.len() as u32));
        ev.clause_index.insert(clause.name.clone(), ClauseId::at(ci));
    }
    let fmt = ev.fmt();
    let out = std::mem::take(&mut ev.out);
    let Out { mut recs, subjects, evidence, locals, computed, cited, folded, .. } = out;
    if folded.read || !unique_ids(fmt, &mut recs, &subjects, threads, folded.ids) {
        return None;
    }
    // A derived record some verdict read used the records of its group.
    for d in model.derived.iter().rev() {
        let groups = &facts.tables[d.kind.index()].groups;
        let used: Vec<u32> = (ev.used[d.kind.index()].iter().enumerate())
            .filter(|(_, u)| **u)
            .flat_map(|(r, _)| groups.get(r).into_iter().flat_map(|g| g.iter().copied()))
            .collect();
        for r in used {
            ev.mark_used(d.from, r);
        }
    }
    let left_out = folded
        .counts
        .iter()
        .flat_map(|(_, counts)| Status::ALL.iter().zip(counts).flat_map(|(s, n)| std::iter::repeat_n(*s, *n as usize)));
    let summary = Summary::of(recs.iter().map(|r| r.status).chain(left_out), facts, &ev.used, &model.records);
    Some(Evaluation {
        model,
        facts,
        as_of,
        summary,
        recs,
        subjects,
        evidence,
        locals,
        computed,
        cited,
        kind_names: std::mem::take(&mut ev.kind_names),
        threads: ev.threads,
        left_out: folded.counts,
    })
}

/// Makes every verdict id unique, so that `writ explain ID` and a program that indexes the
/// JSON by id find one verdict. Subjects are unique by key, but two rejected records without a
/// key, from two files, can both be `line 3`: the later ones get `#2`, `#3`… in report order,
/// which is deterministic.
///
/// Ids are written out one at a time and only their hashes kept; only when two hashes meet
/// (two ids may be equal) are the ids held, to number them.
/// The hashes are made on up to `threads` threads, a contiguous part of the verdicts each, and
/// sorted on the threads of the pool.
///
/// `left_out` are the hashes of the ids of verdicts left out ([`Folded`]): `false` when one of
/// them may equal another id, as the verdicts must then be numbered with those ids written out.
fn unique_ids(fmt: Fmt, recs: &mut [Rec], subjects: &[SubjectRec], threads: usize, left_out: Vec<u64>) -> bool {
    use std::hash::BuildHasher;
    let hash_all = |recs: &[Rec]| -> Vec<u64> {
        let hasher = rustc_hash::FxBuildHasher;
        let mut id = String::new();
        recs.iter()
            .map(|v| {
                id.clear();
                render::write_base_id(fmt, v, subjects, &mut id);
                hasher.hash_one(id.as_str())
            })
            .collect()
    };
    let kept: Vec<u64> = if threads > 1 && recs.len() >= PARALLEL_MIN_ROWS as usize {
        let size = recs.len().div_ceil(threads);
        std::thread::scope(|s| {
            let parts: Vec<_> = recs.chunks(size).map(|part| s.spawn(move || hash_all(part))).collect();
            parts.into_iter().flat_map(|p| p.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
        })
    } else {
        hash_all(recs)
    };
    // The hashes of the ids left out are the many: the others join them, not the reverse.
    let mut hashes = left_out;
    hashes.extend_from_slice(&kept);
    let mut id = String::new();
    if threads > 1 && hashes.len() >= PARALLEL_MIN_ROWS as usize {
        rayon::slice::ParallelSliceMut::par_sort_unstable(&mut hashes[..]);
    } else {
        hashes.sort_unstable();
    }
    let mut equal: Vec<u64> = hashes.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
    if equal.is_empty() {
        return true;
    }
    // A hash is one of an id left out when it is more often among all than among those kept.
    let mut kept = kept;
    kept.sort_unstable();
    let count = |all: &[u64], h: u64| all.partition_point(|&x| x <= h) - all.partition_point(|&x| x < h);
    let is_left_out = |h: u64| count(&hashes, h) > count(&kept, h);
    // An id left out that may equal another: the numbering needs it written out.
    equal.dedup();
    if equal.iter().any(|&h| is_left_out(h)) {
        return false;
    }
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(recs.len());
    for v in recs.iter_mut() {
        id.clear();
        render::write_base_id(fmt, v, subjects, &mut id);
        let n = seen.entry(id.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            let mut k = *n;
            // A suffixed id may itself be taken (an id written `…#2` by a key holding `#2`).
            while seen.contains_key(&format!("{id}#{k}")) {
                k += 1;
            }
            if is_left_out(rustc_hash::FxBuildHasher.hash_one(format!("{id}#{k}").as_str())) {
                return false;
            }
            v.dup = k as u32;
            seen.insert(format!("{id}#{k}"), 1);
        }
    }
    true
}

/// The verdicts so far, compact, with the shared lists their spans point into, and the
/// statuses of clauses already evaluated by subject key, which `violated(…)` and
/// `fulfilled(…)` read (built for a clause the first time one of them asks).
#[derive(Default)]
pub(crate) struct Out<'m> {
    pub recs: Vec<Rec<'m>>,
    pub subjects: Vec<SubjectRec>,
    pub evidence: Vec<EvidenceRec<'m>>,
    pub locals: Vec<(u32, Option<Value>)>,
    pub computed: Vec<ComputedRec<'m>>,
    pub cited: Vec<(RecordId, u32)>,
    /// Per clause evaluated, in order: the range of its verdicts in `recs`.
    pub clauses: Vec<(u32, u32)>,
    /// The subject written last, which the next verdict shares when its subject is the same.
    last_subject: Span,
    statuses: HashMap<ClauseId, HashMap<String, Vec<Status>>>,
    /// The passing verdicts left out as they were made, when the report folds them.
    pub folded: Folded,
}

/// Passing verdicts left out of an evaluation for a report that counts them rather than lists
/// them: the human report counts the passing verdicts of a clause with more than
/// [`crate::report::FOLD_OVER`] of them on one line. A clause checking each of five million
/// readings then keeps its breaches and a few passing verdicts, not five million verdicts.
///
/// Of each clause, evaluation keeps every verdict that does not pass, the first verdict of
/// each requirement, and the first `over + 1` passing verdicts (each part of a scope split
/// across threads keeps its own first ones): so a clause with `over` passing verdicts or
/// fewer loses none, and one with more still shows it has more. The verdicts left out are
/// counted by clause and status, and their ids hashed, so that the summary, the folded
/// counts and the numbering of equal ids ([`unique_ids`]) are those of the whole evaluation.
/// Where that cannot be kept (a clause reads the statuses of a clause with verdicts left out,
/// or a left-out id may equal another), the package is evaluated again, keeping every verdict.
#[derive(Default)]
pub(crate) struct Folded {
    /// Keep at most this many passing verdicts of a clause, and one more; `None` keeps all.
    over: Option<usize>,
    /// Per clause with verdicts left out, in order: how many of each status, in
    /// [`Status::ALL`] order.
    pub counts: Vec<(ClauseId, [u32; Status::ALL.len()])>,
    /// The hashes of their ids, as [`unique_ids`] makes them.
    pub ids: Vec<u64>,
    /// Set when a clause asked for the statuses of a clause with verdicts left out.
    pub read: bool,
    /// The clause of the verdicts last kept or left out in this list, with how many passing
    /// verdicts of it were kept and the requirements it kept a verdict of.
    clause: Option<ClauseId>,
    passing: usize,
    reqs: Vec<usize>,
    /// The subject of the verdict kept last, which a verdict left out may share.
    last_kept_subject: Option<Span>,
    /// An id written out, to hash.
    id: String,
}

impl Folded {
    /// The same choice for the list of another part of a scope.
    fn like(&self) -> Folded {
        Folded { over: self.over, ..Folded::default() }
    }

    /// How many verdicts of each status were left out, in [`Status::ALL`] order.
    fn add(&mut self, clause: ClauseId, status: Status, n: u32) {
        let at = status.position();
        match self.counts.last_mut() {
            Some((c, counts)) if *c == clause => counts[at] += n,
            _ => {
                let mut counts = [0; Status::ALL.len()];
                counts[at] = n;
                self.counts.push((clause, counts));
            }
        }
    }
}

impl<'m> Out<'m> {
    /// The statuses of the verdicts of clause `ci` whose first subject has `key` (the plan's
    /// own verdicts have the key ``).
    pub fn statuses(&mut self, fmt: Fmt, ci: ClauseId, key: &str) -> &[Status] {
        if self.folded.counts.iter().any(|(c, _)| *c == ci) {
            self.folded.read = true;
        }
        let index =
            self.statuses.entry(ci).or_insert_with(|| status_index(&self.recs, &self.subjects, &self.clauses, fmt, ci));
        index.get(key).map_or(&[], |s| s.as_slice())
    }

    /// Appends the verdicts of one part of a scope evaluated on its own, moving the spans its
    /// verdicts hold to where its lists land in these. A large part is copied by the threads
    /// of the pool, each into its own stretch of these lists: most of the cost of a copy of
    /// millions of verdicts is the memory it first writes to.
    fn append(&mut self, part: Out<'m>) {
        let Out { mut recs, subjects, mut evidence, locals, computed, cited, last_subject, folded, .. } = part;
        for (clause, counts) in folded.counts {
            for (status, n) in Status::ALL.iter().zip(counts).filter(|(_, n)| *n > 0) {
                self.folded.add(clause, *status, n);
            }
        }
        move_all(&mut self.folded.ids, folded.ids);
        self.folded.read |= folded.read;
        let (s, e, l, c, f) = (
            self.subjects.len() as u32,
            self.evidence.len() as u32,
            self.locals.len() as u32,
            self.computed.len() as u32,
            self.cited.len() as u32,
        );
        for x in &mut evidence {
            x.locals.start += l;
        }
        for r in &mut recs {
            r.subject.start += s;
            r.evidence = r.evidence.shifted(e);
            r.computed.start += c;
            r.facts.start += f;
        }
        if !subjects.is_empty() {
            self.last_subject = Span { start: last_subject.start + s, len: last_subject.len };
        }
        move_all(&mut self.recs, recs);
        if let Some(last) = self.recs.last() {
            self.folded.last_kept_subject = Some(last.subject);
        }
        move_all(&mut self.subjects, subjects);
        move_all(&mut self.evidence, evidence);
        move_all(&mut self.locals, locals);
        move_all(&mut self.computed, computed);
        move_all(&mut self.cited, cited);
    }

    /// Makes room for `verdicts` more verdicts of `subjects` more subjects, each citing at most
    /// as many facts as a verdict before them did (an estimate: the lists still grow past it).
    fn reserve(&mut self, verdicts: usize, subjects: usize, cited: usize) {
        self.recs.reserve(verdicts);
        self.subjects.reserve(subjects);
        self.cited.reserve(cited);
    }

    /// Keeps a verdict, or leaves it out when it passes and the report will only count it
    /// ([`Folded`]).
    pub fn push(&mut self, v: Rec<'m>, fmt: Fmt) {
        let f = &mut self.folded;
        let Some(over) = f.over else {
            self.recs.push(v);
            return;
        };
        if f.clause != Some(v.clause) {
            f.clause = Some(v.clause);
            f.passing = 0;
            f.reqs.clear();
        }
        let req = v.req as *const Requirement as usize;
        let first_of_req = !f.reqs.contains(&req);
        let passes = v.status.is_passing();
        if !passes || first_of_req || f.passing <= over {
            if first_of_req {
                f.reqs.push(req);
            }
            f.passing += usize::from(passes);
            f.last_kept_subject = Some(v.subject);
            self.recs.push(v);
            return;
        }
        self.leave_out(v, fmt);
    }

    /// Counts a verdict, hashes its id, and takes back what it added to the shared lists.
    fn leave_out(&mut self, v: Rec<'m>, fmt: Fmt) {
        use std::hash::BuildHasher;
        let f = &mut self.folded;
        f.id.clear();
        render::write_base_id(fmt, &v, &self.subjects, &mut f.id);
        f.ids.push(rustc_hash::FxBuildHasher.hash_one(f.id.as_str()));
        f.add(v.clause, v.status, 1);
        // Each list ends with what this verdict added, unless it shares it with one kept.
        let ends = |s: Span, len: usize| (s.start + s.len) as usize == len;
        if ends(v.facts, self.cited.len()) {
            self.cited.truncate(v.facts.start as usize);
        }
        if ends(v.computed, self.computed.len()) {
            self.computed.truncate(v.computed.start as usize);
        }
        if let Some(e) = v.evidence.span()
            && ends(e, self.evidence.len())
        {
            let mine = &self.evidence[e.range()];
            let before = self.evidence[..e.start as usize].last().map_or(0, |x| x.locals.start + x.locals.len);
            if let Some(start) = mine.iter().map(|x| x.locals.start).min()
                && start >= before
                && mine.iter().map(|x| (x.locals.start + x.locals.len) as usize).max() == Some(self.locals.len())
            {
                self.locals.truncate(start as usize);
            }
            self.evidence.truncate(e.start as usize);
        }
        if Some(v.subject) != f.last_kept_subject && ends(v.subject, self.subjects.len()) {
            self.subjects.truncate(v.subject.start as usize);
            self.last_subject = f.last_kept_subject.unwrap_or_default();
        }
    }

    /// The span of a subject in `subjects`: the last one's when it is the same.
    fn subject(&mut self, subject: &[SubjectRec]) -> Span {
        let last = self.last_subject;
        if last.len as usize == subject.len() && self.subjects[last.range()] == *subject {
            return last;
        }
        let start = self.subjects.len() as u32;
        self.subjects.extend_from_slice(subject);
        self.last_subject = Span { start, len: subject.len() as u32 };
        self.last_subject
    }
}

/// Moves the items of `from` to the end of `to`: on the threads of the pool when there are
/// many.
fn move_all<T: Send>(to: &mut Vec<T>, from: Vec<T>) {
    use rayon::iter::ParallelExtend;
    if to.is_empty() {
        *to = from;
    } else if from.len() >= PARALLEL_MIN_ROWS as usize * 4 {
        to.par_extend(from);
    } else {
        to.extend(from);
    }
}

/// The statuses of the verdicts of clause `ci`, by the key of their first subject.
fn status_index(
    recs: &[Rec],
    subjects: &[SubjectRec],
    clauses: &[(u32, u32)],
    fmt: Fmt,
    ci: ClauseId,
) -> HashMap<String, Vec<Status>> {
    let mut index: HashMap<String, Vec<Status>> = HashMap::new();
    let (a, b) = clauses.get(ci.index()).copied().unwrap_or_default();
    for v in &recs[a as usize..b as usize] {
        let key = match subjects[v.subject.range()].first() {
            Some(s) => render::subject_key(fmt, s).into_owned(),
            None => String::new(),
        };
        index.entry(key).or_default().push(v.status);
    }
    index
}

/// Whether some requirement of a block has a deadline.
fn has_deadline(stmts: &[TStmt]) -> bool {
    stmts.iter().any(|s| match s {
        TStmt::Require(r) => r.deadline.is_some(),
        TStmt::For(f) => has_deadline(&f.body),
        TStmt::Every(e) => has_deadline(&e.body),
        TStmt::Let(..) => false,
    })
}

#[derive(Clone)]
struct ClauseCx<'m> {
    ci: ClauseId,
    clause: &'m ClauseDef,
    env: Vec<Option<R>>,
    subject: Vec<SubjectRec>,
    /// Set when every requirement below is out of scope, with the reason.
    not_applicable: Option<String>,
    /// Set when the clause's `during` period has not started as of the evaluation date.
    not_started: Option<String>,
    /// Set when the clause's `during` period has begun but does not hold the evaluation date:
    /// conditions are `not_applicable`, duties with a deadline are judged.
    outside: Option<String>,
    exemptions: Vec<&'m Exemption>,
}

fn run_block<'m>(ev: &mut Ev<'m>, cx: &mut ClauseCx<'m>, stmts: &'m [TStmt]) {
    for s in stmts {
        match s {
            TStmt::Let(slot, e) => {
                let v = ev.eval(e, &mut cx.env);
                cx.env[*slot as usize] = Some(v);
            }
            TStmt::Require(r) => {
                let v = requirement(ev, cx, r);
                let fmt = ev.fmt();
                ev.out.push(v, fmt);
            }
            TStmt::For(f) => run_for(ev, cx, f),
            TStmt::Every(e) => run_every(ev, cx, e),
        }
    }
}

/// One pass of the body per month, quarter or year of the period, each its own subject.
fn run_every<'m>(ev: &mut Ev<'m>, cx: &mut ClauseCx<'m>, e: &'m EveryDef) {
    use crate::syntax::ast::EveryUnit;
    use crate::time::{end_of_month, months_in, quarters_in};
    let ranges = match ev.ranges(&e.period, &mut cx.env) {
        Ok(rs) => rs,
        Err(why) => {
            unknown_block(ev, cx, &e.body, &format!("the period of `every` is unknown: {why}"));
            return;
        }
    };
    let mut occurrences: Vec<(Date, Date)> = Vec::new();
    for (a, b) in ranges {
        // An open-ended period (`2019-10-01 ..`) is listed through the occurrence that holds the
        // as-of date (or the end of an agenda's window) and the next one, the obligation coming
        // up; never on to year 9999.
        let b = if b >= crate::time::OPEN_END {
            let upcoming = if ev.through < a {
                occurrence_of(e.unit, a).1
            } else {
                occurrence_of(e.unit, occurrence_of(e.unit, ev.through).1.add_days(1)).1
            };
            b.min(upcoming)
        } else {
            b
        };
        let n = occurrence_count(e.unit, a, b);
        if n > MAX_OCCURRENCES {
            let why = format!(
                "`every {}` over {a} .. {b} gives {n} occurrences, more than the {MAX_OCCURRENCES} writ evaluates",
                e.unit.name()
            );
            unknown_block(ev, cx, &e.body, &why);
            return;
        }
        let found: Vec<(Date, Date)> = match e.unit {
            EveryUnit::Month => months_in(a, b)
                .into_iter()
                .filter_map(|(y, m)| Date::from_ymd(y, m, 1).map(|s| (s, end_of_month(s))))
                .collect(),
            EveryUnit::Quarter => quarters_in(a, b)
                .into_iter()
                .filter_map(|(y, q)| {
                    let s = Date::from_ymd(y, (q - 1) * 3 + 1, 1)?;
                    Some((s, end_of_month(Date::from_ymd(y, q * 3, 1)?)))
                })
                .collect(),
            EveryUnit::Year => {
                let (y0, y1) = (crate::time::year_of(a), crate::time::year_of(b));
                (y0..=y1).filter_map(|y| Some((Date::from_ymd(y, 1, 1)?, Date::from_ymd(y, 12, 31)?))).collect()
            }
        };
        for o in found {
            if !occurrences.contains(&o) {
                occurrences.push(o);
            }
        }
    }
    let occurrence = |ev: &mut Ev<'m>, cx: &mut ClauseCx<'m>, (a, b): (Date, Date)| {
        cx.env[e.slot as usize] = Some(R::V(Value::Interval(a, b)));
        cx.subject.push(SubjectRec::Occurrence(e.unit, a, b));
        run_block(ev, cx, &e.body);
        cx.subject.pop();
    };
    let mut rest = occurrences.iter().copied();
    // The first occurrence is evaluated here, so that the indexes its body builds are built
    // once; the others are split across threads when the body reads many records (an
    // aggregate of each month's records of a kind). Only an `every` evaluated once per clause
    // is split: inside a scope it runs once per subject, and a split costs each time (the
    // evaluators of the other threads are made, and their used rows joined).
    if let Some(o) = rest.next() {
        occurrence(ev, cx, o);
    }
    let n = occurrences.len() as u32;
    let once = cx.subject.is_empty();
    if ev.threads > 1 && once && n > 2 && reads_many(ev, &e.body) {
        run_in_parts(ev, cx, 1..n, &|ev, cx, part| {
            for i in part {
                occurrence(ev, cx, occurrences[i as usize]);
            }
        });
        return;
    }
    for o in rest {
        occurrence(ev, cx, o);
    }
}

/// Whether a block holds an aggregate over a kind of at least [`PARALLEL_MIN_ROWS`] records:
/// then each time it is evaluated is worth a thread's while.
fn reads_many(ev: &Ev, stmts: &[TStmt]) -> bool {
    let expr_reads_many = |e: &TExpr| {
        let mut many = false;
        walk(e, &mut |e| {
            if let TKind::Aggregate(a) = &e.kind {
                let rows = ev.facts.tables.get(a.kind.index()).map_or(0, |t| t.origins.len());
                many |= rows >= PARALLEL_MIN_ROWS as usize;
            }
        });
        many
    };
    stmts.iter().any(|s| match s {
        TStmt::Require(r) => {
            expr_reads_many(&r.condition) || r.deadline.as_ref().is_some_and(|(_, d)| expr_reads_many(d))
        }
        TStmt::Let(_, e) => expr_reads_many(e),
        TStmt::For(f) => reads_many(ev, &f.body),
        TStmt::Every(e) => reads_many(ev, &e.body),
    })
}

/// The month, quarter or year that holds `d`, both ends included.
fn occurrence_of(unit: crate::syntax::ast::EveryUnit, d: Date) -> (Date, Date) {
    use crate::syntax::ast::EveryUnit;
    use crate::time::{end_of_month, month_of, start_of_month, year_of};
    let first_month = match unit {
        EveryUnit::Month => month_of(d),
        EveryUnit::Quarter => (month_of(d) - 1) / 3 * 3 + 1,
        EveryUnit::Year => 1,
    };
    let months = match unit {
        EveryUnit::Month => 0,
        EveryUnit::Quarter => 2,
        EveryUnit::Year => 11,
    };
    let start = Date::from_ymd(year_of(d), first_month, 1).unwrap_or_else(|| start_of_month(d));
    let last = Date::from_ymd(year_of(d), first_month + months, 1).unwrap_or(start);
    (start, end_of_month(last))
}

fn run_for<'m>(ev: &mut Ev<'m>, cx: &mut ClauseCx<'m>, f: &'m ForDef) {
    // The records of the kind in scope are taken a row at a time, never listed first; the
    // subjects after them (rejected records, records not read, keys, parties) are listed, each
    // marked when it stands for records not read (or rejected past the cap and only counted).
    let subjects: Vec<(SubjectRec, R, bool)> = match &f.source {
        ScopeSource::All(kind) => {
            let kind = *kind;
            let name = ev.model.records[kind.index()].name.clone();
            let table = &ev.facts.tables[kind.index()];
            let rows = table.origins.len() as u32;
            let body = compiled::RowBody::of(ev, cx, f, kind);
            let mut row = 0;
            if ev.threads > 1 && rows >= PARALLEL_MIN_ROWS {
                // The first subject is evaluated here, so that the indexes its body builds are
                // built once and handed to every thread. What it gave (verdicts, facts cited)
                // is what each part makes room for per record.
                let (recs, cited) = (ev.out.recs.len(), ev.out.cited.len());
                while row < rows {
                    row += 1;
                    if ev.visible(kind, row - 1) {
                        let (subject, val) = row_subject(ev, kind, row - 1);
                        run_subject(ev, cx, f, subject, val, false);
                        break;
                    }
                }
                let per_row = PerRow { verdicts: ev.out.recs.len() - recs, cited: ev.out.cited.len() - cited };
                run_rows_parallel(ev, cx, f, body.as_ref(), kind, row..rows, per_row);
                row = rows;
            }
            for row in row..rows {
                run_row(ev, cx, f, body.as_ref(), kind, row);
            }
            let mut out: Vec<(SubjectRec, R, bool)> = Vec::new();
            // A rejected record is still a subject: its verdicts are unknown, never skipped.
            // Records rejected with one key (a repeated key) are one subject, as the key names
            // one thing: each verdict id names a subject once.
            // Records without a key are told apart by their line, and kept apart: two such
            // records are two subjects, even at the same line of two files.
            let mut rejected: IndexMap<(String, Option<usize>), Vec<&crate::facts::Rejected>> = IndexMap::new();
            for (i, rej) in table.rejected.iter().enumerate() {
                let key = match rej.key.as_deref() {
                    Some(k) => (k.to_string(), None),
                    None => (format!("line {}", rej.line), Some(i)),
                };
                rejected.entry(key).or_default().push(rej);
            }
            for ((key, _), rejs) in rejected {
                let why = match rejs.as_slice() {
                    [rej] => format!("the {name} record at line {} was rejected: {}", rej.line, rej.reason),
                    _ => {
                        let each: Vec<String> = rejs.iter().map(|r| format!("line {}: {}", r.line, r.reason)).collect();
                        format!("the {} {name} records with this key were rejected ({})", rejs.len(), each.join("; "))
                    }
                };
                out.push((SubjectRec::keyed(kind, Arc::from(key), None), R::Unknown(why), false));
            }
            // Records that were never read cannot be named, but they may have been in scope:
            // one subject per file stands for them, so that no verdict silently vanishes.
            for loss in &table.incomplete {
                out.push((
                    SubjectRec::keyed(kind, Arc::from(lost_subject(&loss.file)), None),
                    R::Unknown(loss.describe(&name)),
                    true,
                ));
            }
            // Rejected records without a key past the first few of a file are only counted:
            // one subject per file stands for them.
            for u in &table.unkept {
                let why = format!(
                    "{} more {name} records in `{}` were rejected before their key could be read (the first at \
                     line {}: {})",
                    u.lost.unwrap_or(0),
                    u.file,
                    u.line,
                    u.reason
                );
                let key = format!("records rejected in {}", u.file);
                out.push((SubjectRec::keyed(kind, Arc::from(key), None), R::Unknown(why), true));
            }
            out
        }
        ScopeSource::Keys(kind, keys) => keys
            .iter()
            .map(|k| {
                let key = match ev.eval(k, &mut cx.env) {
                    R::V(v) => ev.plain(&v),
                    other => format!("{other:?}"),
                };
                let r = ev.lookup_key(*kind, &key);
                let row = match &r {
                    R::V(Value::Ref(_, row)) => Some(*row),
                    _ => None,
                };
                (SubjectRec::keyed(*kind, Arc::from(key), row), r, false)
            })
            .collect(),
        ScopeSource::Parties(ps) => ps.iter().map(|&p| (SubjectRec::Party(p), R::V(Value::Party(p)), false)).collect(),
    };
    for (subject, val, stand_in) in subjects {
        run_subject(ev, cx, f, subject, val, stand_in);
    }
}

/// The body of a `for` for the records `rows` of a kind, split into contiguous parts, one per
/// thread (see [`run_in_parts`]), each part making room for its verdicts first.
fn run_rows_parallel<'m>(
    ev: &mut Ev<'m>,
    cx: &mut ClauseCx<'m>,
    f: &'m ForDef,
    body: Option<&compiled::RowBody<'m>>,
    kind: RecordId,
    rows: std::ops::Range<u32>,
    per_row: PerRow,
) {
    run_in_parts(ev, cx, rows, &|ev, cx, part| {
        per_row.reserve(&mut ev.out, part.len() as u32);
        for row in part {
            run_row(ev, cx, f, body, kind, row);
        }
    });
}

/// `run` over the items `items` (records of a kind, occurrences of an `every`), split into
/// contiguous parts, one per thread. The first part is evaluated here, the others each on an
/// evaluator of its own (sharing the model, the facts and the indexes built so far) and
/// appended in order, so the verdicts come out as on one thread; the rows each part used are
/// counted as used. A part whose body asks `violated(…)` or `fulfilled(…)` cannot see the
/// verdicts before it: the parts after the first are then evaluated here, in order, as on one
/// thread.
fn run_in_parts<'m>(
    ev: &mut Ev<'m>,
    cx: &mut ClauseCx<'m>,
    items: std::ops::Range<u32>,
    run: &(impl Fn(&mut Ev<'m>, &mut ClauseCx<'m>, std::ops::Range<u32>) + Sync),
) {
    let (from, to) = (items.start, items.end);
    let size = (to - from).div_ceil(ev.threads as u32).max(1);
    let first = from.saturating_add(size).min(to);
    let others: Vec<(u32, u32)> =
        (first..to).step_by(size as usize).map(|a| (a, a.saturating_add(size).min(to))).collect();
    let done: Vec<(Out<'m>, Vec<Vec<bool>>, bool)> = std::thread::scope(|s| {
        let handles: Vec<_> = others
            .iter()
            .map(|&(a, b)| {
                let mut wev = ev.worker();
                let mut wcx = cx.clone();
                s.spawn(move || {
                    run(&mut wev, &mut wcx, a..b);
                    (wev.out, wev.used, wev.needs_prior)
                })
            })
            .collect();
        run(ev, cx, from..first);
        handles.into_iter().map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
    });
    if done.iter().any(|d| d.2) {
        for &(a, b) in &others {
            run(ev, cx, a..b);
        }
        return;
    }
    for (out, used, _) in done {
        ev.out.append(out);
        for (mine, theirs) in ev.used.iter_mut().zip(used) {
            for (u, t) in mine.iter_mut().zip(theirs) {
                *u |= t;
            }
        }
    }
}

/// What the first record of a scope gave: verdicts, and facts they cited.
#[derive(Clone, Copy)]
struct PerRow {
    verdicts: usize,
    cited: usize,
}

impl PerRow {
    /// Makes room in `out` for what `rows` more records give, if each gives as much as the
    /// first, up to [`PerRow::MOST`] of each a record: an estimate, which only spares the
    /// lists growing a step at a time (room not written to takes no memory).
    fn reserve(self, out: &mut Out, rows: u32) {
        let rows = rows as usize;
        let each = |n: usize| rows.saturating_mul(n.min(PerRow::MOST));
        out.reserve(each(self.verdicts), rows, each(self.cited));
    }

    /// The most verdicts, or facts cited, a record is assumed to give.
    const MOST: usize = 4;
}

/// The body of a `for` over every record of a kind for record `row`, when it is known as of the
/// date: from the columns when the body is compiled and the row's values allow, else by
/// evaluating it.
fn run_row<'m>(
    ev: &mut Ev<'m>,
    cx: &mut ClauseCx<'m>,
    f: &'m ForDef,
    body: Option<&compiled::RowBody<'m>>,
    kind: RecordId,
    row: u32,
) {
    if !ev.visible(kind, row) || body.is_some_and(|b| b.run(ev, cx, row)) {
        return;
    }
    let (subject, val) = row_subject(ev, kind, row);
    run_subject(ev, cx, f, subject, val, false);
}

/// A record of the kind in scope as a subject, and the value its variable takes.
fn row_subject(ev: &Ev, kind: RecordId, row: u32) -> (SubjectRec, R) {
    let table = &ev.facts.tables[kind.index()];
    let dated = ev.model.records[kind.index()].dated;
    // A record whose date could not be read may not exist yet as of the date.
    match dated.filter(|&d| table.bad_cell(row, d as u32).is_some()) {
        Some(d) => {
            let why = ev.bad_cell_reason(kind, row, d as u32);
            (
                SubjectRec::keyed(kind, Arc::from(table.key(row)), None),
                R::Unknown(format!("whether the record is known yet is unknown: {why}")),
            )
        }
        None => (SubjectRec::Row(kind, row), R::V(Value::Ref(kind, row))),
    }
}

/// The body of a `for` for one subject. `stand_in`: the subject stands for records not read.
fn run_subject<'m>(ev: &mut Ev<'m>, cx: &mut ClauseCx<'m>, f: &'m ForDef, subject: SubjectRec, val: R, stand_in: bool) {
    cx.env[f.slot as usize] = Some(val.clone());
    if let Some((k, r)) = subject.row() {
        ev.mark_used(k, r);
    }
    cx.subject.push(subject);
    let saved_na = cx.not_applicable.clone();
    let saved_ex = cx.exemptions.len();
    // Records that could not be read are `unknown` even where the clause does not apply:
    // whether it would have applied to them, no one can tell, and their verdicts must not
    // vanish or pass.
    if let R::Unknown(why) = &val
        && (cx.not_applicable.is_none() || stand_in)
    {
        // Named subject missing from the facts, a rejected record, or records not read.
        let why = why.clone();
        let saved = cx.not_applicable.take();
        unknown_block(ev, cx, &f.body, &why);
        cx.not_applicable = saved;
    } else {
        if cx.not_applicable.is_none()
            && let Some(filter) = &f.filter
        {
            match ev.eval(filter, &mut cx.env) {
                R::V(Value::Bool(true)) => {}
                R::V(_) | R::Absent(_) => cx.not_applicable = Some(Said::ExcludedByWhere.text()),
                R::Unknown(why) => {
                    let why = Said::ScopeUnknown(&why).text();
                    unknown_block(ev, cx, &f.body, &why);
                    cx.subject.pop();
                    return;
                }
            }
        }
        cx.exemptions.extend(f.exemptions.iter());
        run_block(ev, cx, &f.body);
    }
    cx.exemptions.truncate(saved_ex);
    cx.not_applicable = saved_na;
    cx.subject.pop();
}

/// The subject key that stands for the records of a kind that could not be read from `file`.
pub(crate) fn lost_subject(file: &str) -> String {
    format!("records lost from {file}")
}

/// Emits `unknown` for every requirement below, with the reason.
fn unknown_block<'m>(ev: &mut Ev<'m>, cx: &mut ClauseCx<'m>, stmts: &'m [TStmt], why: &str) {
    for s in stmts {
        match s {
            TStmt::Require(r) => {
                let mut v = base_verdict(ev, cx, r);
                v.status = Status::Unknown;
                v.set_reason(why);
                let fmt = ev.fmt();
                ev.out.push(v, fmt);
            }
            TStmt::For(f) => {
                // The inner subjects cannot be named without the outer one; one verdict stands for them.
                unknown_block(ev, cx, &f.body, why);
            }
            TStmt::Every(e) => unknown_block(ev, cx, &e.body, why),
            TStmt::Let(..) => {}
        }
    }
}

/// A verdict on `r` for the current subject, `unknown` until decided. Its subject is kept
/// (shared with the verdict before when it is the same) and the subject's records cited.
fn base_verdict<'m>(ev: &mut Ev<'m>, cx: &mut ClauseCx<'m>, r: &'m Requirement) -> Rec<'m> {
    // The parties the subject names for a role: read without tracing, since they are who
    // answers for the verdict, not what it rests on.
    let roles: Box<[RoleValue]> = if r.roles.is_empty() {
        Box::default()
    } else {
        let mut values = Vec::new();
        for sr in &r.roles {
            for (e, _) in &sr.fields {
                values.push(match ev.eval(e, &mut cx.env) {
                    R::V(Value::Party(p)) => RoleValue::Party(p),
                    R::V(_) => RoleValue::Unknown("not a party".into()),
                    R::Absent(why) | R::Unknown(why) => RoleValue::Unknown(why.into()),
                });
            }
        }
        values.into_boxed_slice()
    };
    let subject = ev.out.subject(&cx.subject);
    let start = ev.out.cited.len() as u32;
    ev.out.cited.extend(cx.subject.iter().filter_map(SubjectRec::row));
    let facts = Span { start, len: ev.out.cited.len() as u32 - start };
    Rec {
        clause: cx.ci,
        req: r,
        status: Status::Unknown,
        dup: 0,
        subject,
        deadline: None,
        done_on: None,
        evidence: EvidenceAt::default(),
        computed: Span::default(),
        facts,
        more_facts: 0,
        extra: (!roles.is_empty()).then(|| Box::new(RecExtra { roles, ..RecExtra::default() })),
    }
}

fn requirement<'m>(ev: &mut Ev<'m>, cx: &mut ClauseCx<'m>, r: &'m Requirement) -> Rec<'m> {
    let mut v = base_verdict(ev, cx, r);
    let strive = matches!(r.modality, Modality::Should | Modality::ShouldNot);
    // The deadline is evaluated first: it is shown even when the requirement does not apply.
    let deadline = match &r.deadline {
        Some((kind, e)) => match ev.eval(e, &mut cx.env) {
            R::V(Value::Date(d)) => {
                let d = if cx.clause.roll {
                    match ev.model.calendar.as_ref().map(|c| c.roll_forward(d)) {
                        Some(Ok(r)) => {
                            if r != d {
                                v.extra_mut().rolled_from = Some(d);
                            }
                            r
                        }
                        Some(Err(err)) => {
                            v.status = Status::Unknown;
                            v.set_reason(format!("the deadline {d} cannot be rolled to a workday: {err}"));
                            return v;
                        }
                        None => d,
                    }
                } else {
                    d
                };
                v.deadline = Some(d);
                Some(if *kind == DeadlineKind::Before { d.add_days(-1) } else { d })
            }
            R::V(_) => None,
            // A requirement out of scope is `not_applicable` whatever its deadline.
            R::Absent(why) | R::Unknown(why) if cx.not_applicable.is_none() => {
                v.status = Status::Unknown;
                v.set_reason(format!("the deadline is unknown: {why}"));
                return v;
            }
            R::Absent(_) | R::Unknown(_) => None,
        },
        None => None,
    };
    if let Some(why) = &cx.not_applicable {
        v.status = Status::NotApplicable;
        v.set_reason(why.as_str());
        return v;
    }
    if let Some(why) = &cx.not_started {
        v.status = if deadline.is_some() { Status::Pending } else { Status::NotApplicable };
        v.set_reason(why.as_str());
        return v;
    }
    if let (Some(why), None) = (&cx.outside, deadline) {
        v.status = Status::NotApplicable;
        v.set_reason(why.as_str());
        return v;
    }
    ev.start_trace();
    // `given`: the facts it needs are not all in, so the requirement is not judged at all;
    // missing data is neither a pass nor a breach.
    let gate = r.given.as_deref().and_then(|(g, text)| match ev.eval(g, &mut cx.env) {
        R::V(Value::Bool(true)) => None,
        R::V(Value::Bool(false)) => Some(match deadline {
            Some(due) if ev.as_of < due => {
                (Status::Pending, Some(Said::NotAllIn { condition: text, yet: true }.text()))
            }
            _ => (Status::Unknown, Some(Said::NotAllIn { condition: text, yet: false }.text())),
        }),
        R::V(_) => Some((Status::Unknown, Some("`given` did not evaluate to true or false".into()))),
        R::Absent(why) | R::Unknown(why) => {
            Some((Status::Unknown, Some(format!("whether the facts are all in is unknown: {why}"))))
        }
    });
    let (status, reason) = match (gate, deadline) {
        (Some(gated), _) => gated,
        (None, None) => match ev.eval(&r.condition, &mut cx.env) {
            R::V(Value::Bool(b)) => (condition_status(b, r.modality), None),
            R::V(_) => (Status::Unknown, Some("the condition did not evaluate to true or false".into())),
            R::Absent(why) | R::Unknown(why) => (Status::Unknown, Some(why)),
        },
        (None, Some(due)) if matches!(r.deadline, Some((DeadlineKind::At, _))) => state_status(ev, cx, r, due),
        (None, Some(due)) => deadline_status(ev, cx, r, due, &mut v),
    };
    // An aggregate over a period that is not over found no records: before the deadline that is
    // expected (the period has not started, or its records are not in yet), so `pending`.
    let open = reason.as_deref().and_then(|why| ev.open_empty(why));
    let (status, reason) = match (status, deadline, open) {
        (Status::Unknown, Some(due), Some(open)) if ev.as_of < due => {
            (Status::Pending, reason.map(|why| format!("{why} for now: {open}")))
        }
        _ => (status, reason),
    };
    // A target met on a period that is not over yet may still be missed: until the deadline it
    // is provisional, so `pending`, with the current values in evidence.
    let state = matches!(r.deadline, Some((DeadlineKind::At, _)));
    let (status, reason) = match (ev.provisional(), status, deadline) {
        // A state target is judged on its day with what was known then; see `state_status`.
        _ if state => (status, reason),
        (Some(why), Status::Fulfilled, Some(due)) if ev.as_of < due => {
            (Status::Pending, Some(Said::MetSoFar(&why).text()))
        }
        (Some(why), Status::Satisfied | Status::Violated, None) => (status, Some(format!("provisional: {why}"))),
        _ => (status, reason),
    };
    let (status, reason) = match status {
        Status::Unknown => (status, reason),
        s => apply_exemptions(ev, cx, s, reason),
    };
    v.status = match (status, strive) {
        (Status::Fulfilled, true) => Status::Met,
        (Status::FulfilledLate | Status::Overdue, true) => Status::Missed,
        (s, _) => s,
    };
    match reason {
        Some(why) => v.set_reason(why),
        None => {
            if let Some(extra) = &mut v.extra {
                extra.reason = None;
            }
        }
    }
    let mut trace = ev.end_trace();
    let out = &mut ev.out;
    let base = out.locals.len() as u32;
    out.locals.append(&mut trace.locals);
    let start = out.evidence.len() as u32;
    out.evidence.extend(trace.evidence.drain(..).map(|mut e| {
        e.locals.start += base;
        e
    }));
    v.evidence = EvidenceAt::list(Span { start, len: out.evidence.len() as u32 - start });
    let start = out.computed.len() as u32;
    out.computed.append(&mut trace.computed);
    v.computed = Span { start, len: out.computed.len() as u32 - start };
    // The verdict's facts are the last in `cited`: its subject's, then those it read.
    for &f in &trace.used {
        if v.facts.len as usize >= MAX_FACTS {
            v.more_facts += 1;
            continue;
        }
        if !out.cited[v.facts.range()].contains(&f) {
            out.cited.push(f);
            v.facts.len += 1;
        }
    }
    v.more_facts += trace.more_used as u32;
    ev.recycle_trace(trace);
    if v.status.is_sanctioned() {
        let mut sanctions = Vec::with_capacity(r.sanctions.len());
        for s in &r.sanctions {
            let on = s.on.as_ref().map(|e| (e, ev.eval(e, &mut cx.env)));
            sanctions.push(SanctionRec { sanction: s.sanction, on });
        }
        v.extra_mut().sanctions = sanctions.into_boxed_slice();
    }
    v
}

/// The status of a requirement without a deadline whose condition is decided: `holds`, read
/// as its modality reads it (a prohibition holds when its condition does not; a strive target
/// is met or missed rather than satisfied or violated).
pub(crate) fn condition_status(holds: bool, modality: Modality) -> Status {
    let prohibition = matches!(modality, Modality::MustNot | Modality::ShouldNot);
    let strive = matches!(modality, Modality::Should | Modality::ShouldNot);
    match (holds != prohibition, strive) {
        (true, false) => Status::Satisfied,
        (false, false) => Status::Violated,
        (true, true) => Status::Met,
        (false, true) => Status::Missed,
    }
}

/// A state target (`at DATE`) is judged on its day, as the world stood then: before it, it is
/// `pending` whatever the current value (a mean of half a year may still go either way);
/// from that day on it is met or not, and cannot be met late.
fn state_status<'m>(ev: &mut Ev<'m>, cx: &mut ClauseCx<'m>, r: &'m Requirement, due: Date) -> (Status, Option<String>) {
    if ev.as_of < due {
        return match ev.eval(&r.condition, &mut cx.env) {
            R::V(Value::Bool(b)) => (Status::Pending, Some(Said::JudgedOn { due, as_of: ev.as_of, holds: b }.text())),
            R::Absent(why) => (Status::Pending, Some(format!("a state judged on {due}; as of {}: {why}", ev.as_of))),
            R::V(_) => (Status::Unknown, Some("the condition did not evaluate to true or false".into())),
            R::Unknown(why) => (Status::Unknown, Some(why)),
        };
    }
    let saved = ev.set_horizon(due);
    let then = ev.eval(&r.condition, &mut cx.env);
    ev.set_horizon(saved);
    match then {
        R::V(Value::Bool(true)) => (Status::Fulfilled, None),
        R::V(Value::Bool(false)) => (Status::Overdue, Some(Said::NotMetOn(due).text())),
        R::V(_) => (Status::Unknown, Some("the condition did not evaluate to true or false".into())),
        R::Absent(why) | R::Unknown(why) => (Status::Unknown, Some(why)),
    }
}

fn deadline_status<'m>(
    ev: &mut Ev<'m>,
    cx: &mut ClauseCx<'m>,
    r: &'m Requirement,
    due: Date,
    v: &mut Rec<'m>,
) -> (Status, Option<String>) {
    let as_of = ev.as_of;
    // Facts dated on the as-of day count, so the as-of day is over: a duty due that day and not
    // met by its end is overdue, not pending.
    let not_done = |as_of: Date| if as_of < due { Status::Pending } else { Status::Overdue };
    if r.condition.ty == Ty::Date {
        return match ev.eval(&r.condition, &mut cx.env) {
            R::V(Value::Date(d)) if d <= as_of => {
                v.done_on = Some(d);
                (if d <= due { Status::Fulfilled } else { Status::FulfilledLate }, None)
            }
            R::V(Value::Date(d)) => (not_done(as_of), Some(Said::DoneAfterAsOf { done: d, as_of }.text())),
            R::Absent(why) => (not_done(as_of), Some(why)),
            R::V(_) => (Status::Unknown, Some("the completion date is not a date".into())),
            R::Unknown(why) => (Status::Unknown, Some(why)),
        };
    }
    match ev.eval(&r.condition, &mut cx.env) {
        R::V(Value::Bool(true)) if as_of <= due => (Status::Fulfilled, None),
        R::V(Value::Bool(true)) => {
            // Done by now; was it done by the deadline? Look at the world as it was known then.
            let saved = ev.set_horizon(due);
            ev.pause_trace();
            let then = ev.eval(&r.condition, &mut cx.env);
            ev.resume_trace();
            ev.set_horizon(saved);
            match then {
                R::V(Value::Bool(true)) => (Status::Fulfilled, None),
                R::V(Value::Bool(false)) => (Status::FulfilledLate, Some(Said::NotYetMetByDeadline(due).text())),
                R::Absent(why) | R::Unknown(why) => {
                    (Status::Unknown, Some(format!("met by {as_of}, but whether by {due} is unknown: {why}")))
                }
                R::V(_) => (Status::Unknown, None),
            }
        }
        R::V(Value::Bool(false)) => (not_done(as_of), None),
        R::V(_) => (Status::Unknown, Some("the condition did not evaluate to true or false".into())),
        R::Absent(why) | R::Unknown(why) => (Status::Unknown, Some(why)),
    }
}

/// Default logic: an exemption that holds defeats the requirement; one that cannot be decided
/// leaves a passing verdict alone and turns a failing one into `unknown`.
fn apply_exemptions<'m>(
    ev: &mut Ev<'m>,
    cx: &mut ClauseCx<'m>,
    status: Status,
    reason: Option<String>,
) -> (Status, Option<String>) {
    let exemptions: Vec<&Exemption> = cx.exemptions.clone();
    let mut undecided = None;
    ev.pause_trace();
    for ex in exemptions {
        match ev.eval(&ex.expr, &mut cx.env) {
            R::V(Value::Bool(true)) => {
                ev.resume_trace();
                return (Status::Exempt, Some(Said::ExemptUnder(&ex.name).text()));
            }
            R::V(_) => {}
            R::Absent(why) | R::Unknown(why) => {
                undecided = Some(format!("exemption `{}` cannot be decided: {why}", ex.name))
            }
        }
    }
    ev.resume_trace();
    match undecided {
        Some(why) if status.is_breach() || status == Status::Missed => (Status::Unknown, Some(why)),
        _ => (status, reason),
    }
}
