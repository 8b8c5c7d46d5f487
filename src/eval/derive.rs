//! Record kinds derived by grouping (`record 日數據 from 小時數據 by …`), computed before each
//! evaluation as of its date: one record per distinct group of the source records known by
//! then, with its values computed over the group's records.
//!
//! What cannot be placed is not left out: a source record whose filter or group fields cannot
//! be read (unknown, or without a value) may belong to any group, so every value of the derived
//! kind is unreadable, naming it. A value whose `given` condition does not hold is unreadable
//! too, naming the condition: a daily mean of 19 hours is not a number.

use super::Engine;
use super::expr::{Ev, R};
use crate::facts::{Cell, Facts, FileFacts, Placed, RowsBuilder, Schema};
use crate::model::*;
use crate::value::{Date, Value};
use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use std::borrow::Cow;
use std::fmt::Write;
use std::sync::Arc;

/// The facts with every derived kind's table computed as of `as_of`, or `None` when the model
/// derives no kind (the facts are then used as they are). Many groups are computed on up to
/// `threads` threads; the result is the same on any number.
pub fn derive(model: &Model, facts: &Facts, as_of: Date, threads: usize) -> Option<Facts> {
    derive_at(model, Cow::Borrowed(facts), At { as_of, compiled: true }, threads, Engine::Native)
        .ok()
        .and_then(|d| d.facts)
}

/// [`derive`] on one thread, every expression evaluated by walking it (see
/// [`super::evaluate_interpreted`]).
pub fn derive_interpreted(model: &Model, facts: &Facts, as_of: Date) -> Option<Facts> {
    derive_at(model, Cow::Borrowed(facts), At { as_of, compiled: false }, 1, Engine::Native).ok().and_then(|d| d.facts)
}

/// The facts with the derived kinds computed, and what the engine did not take.
#[derive(Debug)]
pub struct Derived {
    /// As [`derive`] gives them.
    pub facts: Option<Facts>,
    /// Per derived kind grouped in writ rather than by the engine asked for: which, and why.
    pub notes: Vec<String>,
}

/// [`derive`], the records grouped by `engine`. A derived kind whose grouping, filter or values
/// the engine cannot compute exactly as writ does is grouped in writ, with a note saying why;
/// the records are the same either way. An error is the engine failing (out of memory or disk).
pub fn derive_on(model: &Model, facts: &Facts, as_of: Date, threads: usize, engine: Engine) -> Result<Derived, String> {
    derive_at(model, Cow::Borrowed(facts), At { as_of, compiled: true }, threads, engine)
}

/// [`derive_on`], taking the facts: their tables become those of the facts given back (the
/// facts themselves when the model derives no kind), instead of being copied; with the notes
/// of [`Derived`].
pub fn derive_owned(
    model: &Model,
    facts: Facts,
    as_of: Date,
    threads: usize,
    engine: Engine,
) -> Result<(Facts, Vec<String>), String> {
    if model.derived.is_empty() {
        return Ok((facts, Vec::new()));
    }
    let d = derive_at(model, Cow::Owned(facts), At { as_of, compiled: true }, threads, engine)?;
    Ok((d.facts.expect("a model that derives kinds gives its facts"), d.notes))
}

/// The date derived kinds are computed as of, and whether comparisons compiled to read their
/// columns are used.
#[derive(Clone, Copy)]
struct At {
    as_of: Date,
    compiled: bool,
}

impl At {
    fn ev<'m>(self, model: &'m Model, facts: &'m Facts) -> Ev<'m> {
        let mut ev = Ev::new(model, facts, self.as_of);
        ev.compiled = self.compiled;
        ev
    }
}

/// A derived kind's groups as an engine found them, in the order writ finds them (by each
/// group's first source row).
pub(super) struct Grouped {
    /// Per group, its source rows, ascending.
    pub rows: Vec<Arc<[u32]>>,
    /// Per group, per value of the kind: the value, when the engine computed it as writ would;
    /// `None` leaves it to writ. Empty when the engine computed none.
    pub values: Vec<Vec<Option<Value>>>,
}

fn derive_at(model: &Model, facts: Cow<'_, Facts>, at: At, threads: usize, engine: Engine) -> Result<Derived, String> {
    let mut notes = Vec::new();
    if model.derived.is_empty() {
        return Ok(Derived { facts: None, notes });
    }
    #[cfg(feature = "datafusion")]
    let session = match &engine {
        Engine::DataFusion { memory_limit } => Some(super::datafusion::Session::new(threads, *memory_limit)?),
        _ => None,
    };
    #[cfg(feature = "ballista")]
    let cluster = match &engine {
        Engine::Ballista { scheduler } => Some(super::ballista::Cluster::connect(scheduler)?),
        _ => None,
    };
    #[cfg(not(feature = "datafusion"))]
    if engine != Engine::Native {
        return Err("this writ was built without DataFusion: build it with `--features datafusion`".into());
    }
    let mut out = facts.into_owned();
    for d in &model.derived {
        let name = &model.records[d.kind.index()].name;
        if out.tables[d.from.index()].streamed {
            let records = from_placed(model, &mut out, d, at, threads)?;
            add(model, &mut out, d, records);
            continue;
        }
        #[allow(unused_mut)]
        let mut grouped: Option<Grouped> = None;
        #[cfg(feature = "datafusion")]
        if let Some(session) = &session {
            match session.group(model, &out, d, at.as_of)? {
                Ok(g) => grouped = Some(g),
                Err(why) => notes.push(format!("{name} was grouped in writ, not in DataFusion: {why}")),
            }
        }
        #[allow(unused_mut)]
        let mut keyed: Option<ByKey> = None;
        #[cfg(feature = "ballista")]
        if let Some(cluster) = &cluster {
            match cluster.values(model, &out, d, at.as_of)? {
                Ok(by_key) => keyed = Some(by_key),
                Err(why) => notes.push(format!("{name} was grouped in writ, not on the Ballista cluster: {why}")),
            }
        }
        let records = match groups(model, &out, d, at, threads, grouped, keyed.as_ref()) {
            Ok(done) => done,
            Err(why) => {
                notes.push(format!("{name} was grouped in writ, not by the engine: {why}"));
                groups(model, &out, d, at, threads, None, None).expect("writ places every record itself")
            }
        };
        add(model, &mut out, d, records);
    }
    Ok(Derived { facts: Some(out), notes })
}

/// Adds the records of derived kind `d` to `out`, as a table read from a file of their own.
fn add(model: &Model, out: &mut Facts, d: &DerivedDef, (rows, sources): Records) {
    let name = &model.records[d.kind.index()].name;
    let from = &model.records[d.from.index()].name;
    let path: Arc<str> = format!("<{name} from {from}>").into();
    let schema = Schema::of(model);
    let file = FileFacts {
        path: path.clone(),
        rows: rows.finish(),
        rejected: vec![],
        unkept: vec![],
        losses: vec![],
        diagnostics: vec![],
        sheets: vec![],
    };
    let linked = crate::facts::link(&schema, &[file]);
    let mut table = linked.tables.into_iter().nth(d.kind.index()).expect("a table per kind");
    // Its rows name this pseudo-file, after the files read.
    let at = out.files.len() as u32;
    for f in &mut table.origins.file {
        *f = at;
    }
    out.files.push(path);
    table.groups = sources;
    out.tables[d.kind.index()] = table;
}

/// The records of derived kind `d` whose source records were placed in groups as they were read
/// and not kept ([`crate::facts::Table::streamed`]): the groups found then, with the values an
/// engine computed from the files the source records were read from.
fn from_placed(model: &Model, out: &mut Facts, d: &DerivedDef, at: At, threads: usize) -> Result<Records, String> {
    let name = &model.records[d.kind.index()].name;
    let from = &model.records[d.from.index()].name;
    let at_placed = (out.placed.iter().position(|p| p.kind == d.kind))
        .ok_or_else(|| format!("the {from} records were not kept, nor placed in the groups of {name}"))?;
    let placed = out.placed.swap_remove(at_placed);
    if placed.unplaced.is_none() && placed.values.len() != placed.groups.len() {
        return Err(format!("the values of {name} were not computed from the files of the {from} records"));
    }
    let unplaced = unplaced_reason(model, d, placed.unplaced);
    Ok(computed(model, out, at, d, placed.groups, &placed.values, unplaced, threads))
}

/// A group's value read straight from the source record's column, for the shapes grouping
/// takes most (`站點`, `date(時刻)`), as the evaluator would give it; `None` for any other
/// shape, or when the value is not there (the evaluator then says why).
fn direct(e: &TExpr, d: &DerivedDef, table: &crate::facts::Table, row: u32) -> Option<Value> {
    let field = |e: &TExpr| match &e.kind {
        TKind::Field(b, k, f) if *k == d.from && matches!(b.kind, TKind::Local(s) if s == d.slot) => Some(*f),
        _ => None,
    };
    match &e.kind {
        TKind::Field(..) => table.get(field(e)? as usize, row),
        TKind::Interval(IntervalOp::DateOf, x, None) => match table.get(field(x)? as usize, row)? {
            Value::DateTime(t) => Some(Value::Date(t.date())),
            _ => None,
        },
        _ => None,
    }
}

/// The records of a derived kind, and per record the source rows of its group.
type Records = (RowsBuilder, Vec<Arc<[u32]>>);

/// The group fields of the source record `row` into `key`; the reason it cannot be placed
/// in a group otherwise.
fn key_of<'m>(
    ev: &mut Ev<'m>,
    env: &mut Vec<Option<R>>,
    d: &'m DerivedDef,
    row: u32,
    key: &mut Vec<Value>,
) -> Result<(), String> {
    let table = &ev.facts.tables[d.from.index()];
    key.clear();
    for g in &d.groups {
        if let Some(v) = direct(g, d, table, row) {
            key.push(v);
            continue;
        }
        match ev.eval(g, env) {
            R::V(v) => key.push(v),
            R::Absent(why) | R::Unknown(why) => return Err(why),
        }
    }
    Ok(())
}

/// The records of one derived kind, grouped as the engine found them, or by writ; an error
/// when the engine's groups cannot be taken (a group's fields not readable after all).
fn groups(
    model: &Model,
    facts: &Facts,
    d: &DerivedDef,
    at: At,
    threads: usize,
    grouped: Option<Grouped>,
    keyed: Option<&ByKey>,
) -> Result<Records, String> {
    let mut ev = at.ev(model, facts);
    if let Some(grouped) = grouped {
        let mut env: Vec<Option<R>> = vec![None; d.slots as usize];
        let mut keyed = Vec::with_capacity(grouped.rows.len());
        for rows in grouped.rows {
            let mut key = Vec::with_capacity(d.groups.len());
            let first = *rows.first().ok_or("a group without records")?;
            env[d.slot as usize] = Some(R::V(Value::Ref(d.from, first)));
            key_of(&mut ev, &mut env, d, first, &mut key)?;
            keyed.push((key, rows));
        }
        return Ok(computed(model, facts, at, d, keyed, &grouped.values, None, threads));
    }
    let (groups, mut unplaced) = placed(&mut ev, d);
    let from = &model.records[d.from.index()].name;
    let mut place = |why: String| match &mut unplaced {
        Some((_, n)) => *n += 1,
        None => unplaced = Some((why, 1)),
    };
    let table = &facts.tables[d.from.index()];
    let mut too_many: Option<usize> = None;
    let rec = &model.records[d.kind.index()];
    // With a window, each group becomes one group per moment: the group's records of the
    // moments in the window that ends then.
    let groups: Vec<(Vec<Value>, Arc<[u32]>)> = match &d.window {
        None => groups.into_iter().map(|(k, rows)| (k, rows.into())).collect(),
        Some(w) => {
            let mut windows = Vec::new();
            // The records the windows hold, in all: a long window over many records (30 days of
            // hourly readings) would hold each record hundreds of times over.
            let mut held: usize = 0;
            for (key, rows) in groups {
                let mut timed: Vec<(i64, Value, u32)> = Vec::with_capacity(rows.len());
                for row in rows {
                    match table.get(w.field as usize, row) {
                        Some(Value::DateTime(t)) => timed.push((t.0, Value::DateTime(t), row)),
                        Some(Value::Date(day)) => timed.push((i64::from(day.0) * 86_400, Value::Date(day), row)),
                        _ => place(format!(
                            "{from}[{}] has no {} to place it in a window",
                            table.key(row),
                            model.records[d.from.index()].fields[w.field as usize].name
                        )),
                    }
                }
                timed.sort_by_key(|t| (t.0, t.2));
                let mut start = 0;
                let mut at = 0;
                while at < timed.len() {
                    let end = timed[at].0;
                    // Every record of this moment ends the same window.
                    let mut last = at;
                    while last + 1 < timed.len() && timed[last + 1].0 == end {
                        last += 1;
                    }
                    while timed[start].0 <= end - w.seconds {
                        start += 1;
                    }
                    // Read in time order, rows usually are in row order already.
                    let window = &timed[start..=last];
                    held = held.saturating_add(window.len());
                    let rows: Arc<[u32]> = if held > MAX_WINDOW_HOLDINGS {
                        // Past the bound, the windows are listed without their records; their
                        // values are unknown, and say why (below).
                        Arc::from([])
                    } else if window.is_sorted_by_key(|t| t.2) {
                        window.iter().map(|t| t.2).collect()
                    } else {
                        let mut rows: Vec<u32> = window.iter().map(|t| t.2).collect();
                        rows.sort_unstable();
                        rows.into()
                    };
                    let mut k = Vec::with_capacity(key.len() + 1);
                    k.extend(key.iter().cloned());
                    k.push(timed[at].1.clone());
                    windows.push((k, rows));
                    at = last + 1;
                }
            }
            if held > MAX_WINDOW_HOLDINGS {
                too_many = Some(held);
            }
            windows
        }
    };
    let unplaced = unplaced_reason(model, d, unplaced);
    let unplaced = match too_many {
        Some(held) => {
            let over = &model.records[d.from.index()].fields[d.window.as_ref().map_or(0, |w| w.field as usize)].name;
            Some(Arc::from(format!(
                "the windows of {} would hold {held} {from} records in all, more than the {MAX_WINDOW_HOLDINGS} writ \
                 holds, so no value of it can be known; derive it from fewer, coarser records (daily means for a \
                 window of days) or over a shorter window of `{over}`",
                rec.name
            )))
        }
        None => unplaced,
    };
    // The values an engine computed for writ's groups, found by key: its groups must be
    // writ's, no more and no fewer.
    let pre: Vec<Vec<Option<Value>>> = match keyed {
        None => Vec::new(),
        Some(_) if d.window.is_some() => return Err("its groups are windows, which writ computes itself".into()),
        Some(keyed) => {
            if keyed.len() != groups.len() {
                return Err(format!("the engine found {} groups where writ found {}", keyed.len(), groups.len()));
            }
            let mut pre = Vec::with_capacity(groups.len());
            for (key, _) in &groups {
                pre.push(keyed.get(key).cloned().ok_or("the engine's groups are not writ's")?);
            }
            pre
        }
    };
    Ok(computed(model, facts, at, d, groups, &pre, unplaced, threads))
}

/// Source rows by the key of their group, in the order the groups are found.
type Placing = IndexMap<Vec<Value>, Vec<u32>, FxBuildHasher>;

/// The first source record that could not be placed in a group and why, and how many could not.
type Unplaced = Option<(String, usize)>;

/// The groups of derived kind `d` the source records fall in, by key, in the order they are
/// found (by each group's first row), each with its rows, ascending; and why some records
/// could not be placed (the first reason, and how many). Records dated after the evaluation
/// date, and those its filter leaves out, are in no group.
fn placed<'m>(ev: &mut Ev<'m>, d: &'m DerivedDef) -> (Placing, Option<(String, usize)>) {
    let (model, facts) = (ev.model, ev.facts);
    let mut env: Vec<Option<R>> = vec![None; d.slots as usize];
    let from = &model.records[d.from.index()].name;
    let mut groups = Placing::default();
    let mut unplaced: Option<(String, usize)> = None;
    let mut place = |why: String| match &mut unplaced {
        Some((_, n)) => *n += 1,
        None => unplaced = Some((why, 1)),
    };
    let table = &facts.tables[d.from.index()];
    // The group of the row being read; a new group's key is allocated, a known one is found
    // by this one.
    let mut key: Vec<Value> = Vec::with_capacity(d.groups.len());
    for row in 0..table.origins.len() as u32 {
        if !ev.visible(d.from, row) {
            continue;
        }
        env[d.slot as usize] = Some(R::V(Value::Ref(d.from, row)));
        if let Some(f) = &d.filter {
            match ev.eval(f, &mut env) {
                R::V(Value::Bool(true)) => {}
                R::V(_) | R::Absent(_) => continue,
                R::Unknown(why) => {
                    place(format!("whether {from}[{}] is in is unknown: {why}", table.key(row)));
                    continue;
                }
            }
        }
        if let Err(why) = key_of(ev, &mut env, d, row, &mut key) {
            place(format!("{from}[{}] cannot be placed in a group: {why}", table.key(row)));
            continue;
        }
        match groups.get_index_of(&key[..]) {
            Some(i) => groups[i].push(row),
            None => {
                groups.insert(key.clone(), vec![row]);
            }
        }
    }
    (groups, unplaced)
}

/// Why no value of derived kind `d` can be known when some source records could not be placed
/// in a group (the first reason, and how many).
fn unplaced_reason(model: &Model, d: &DerivedDef, unplaced: Option<(String, usize)>) -> Option<Arc<str>> {
    let from = &model.records[d.from.index()].name;
    unplaced.map(|(why, n)| {
        let more = if n > 1 { format!(" (and {} more {from} records)", n - 1) } else { String::new() };
        format!(
            "not every {from} record could be placed in a group, so no value of {} can be known: {why}{more}",
            model.records[d.kind.index()].name
        )
        .into()
    })
}

/// The groups of the kinds derived from one kind, found a part of its records at a time: what
/// [`derive`] finds over all of them at once, for a kind whose records are not kept
/// ([`crate::facts::Table::streamed`]).
pub struct Placer {
    kind: RecordId,
    as_of: Date,
    /// Per kind derived from `kind`, in [`Model::derived`] order: its groups so far, and why
    /// some records could not be placed.
    kinds: Vec<(RecordId, Placing, Unplaced)>,
    /// The records placed so far: the next part's first row.
    rows: u32,
}

impl Placer {
    /// A placer of the records of `kind` in the groups of the kinds derived from it, as of
    /// `as_of`.
    pub fn new(model: &Model, kind: RecordId, as_of: Date) -> Placer {
        let kinds = model.derived.iter().filter(|d| d.from == kind).map(|d| (d.kind, Placing::default(), None));
        Placer { kind, as_of, kinds: kinds.collect(), rows: 0 }
    }

    /// Places the records of the kind that `facts` holds, the next part of them: their rows
    /// come after the rows of the parts before.
    pub fn part(&mut self, model: &Model, facts: &Facts) {
        let mut ev = At { as_of: self.as_of, compiled: true }.ev(model, facts);
        let offset = self.rows;
        for (kind, groups, unplaced) in &mut self.kinds {
            let d = model.derived.iter().find(|d| d.kind == *kind).expect("a derived kind of the model");
            let (part, why) = placed(&mut ev, d);
            if let Some((why, n)) = why {
                match unplaced {
                    Some((_, m)) => *m += n,
                    None => *unplaced = Some((why, n)),
                }
            }
            for (key, rows) in part {
                groups.entry(key).or_default().extend(rows.into_iter().map(|r| r + offset));
            }
        }
        self.rows += facts.tables[self.kind.index()].len() as u32;
    }

    /// The groups of each derived kind.
    pub fn finish(self) -> Vec<Placed> {
        (self.kinds.into_iter())
            .map(|(kind, groups, unplaced)| Placed {
                kind,
                groups: groups.into_iter().map(|(k, rows)| (k, rows.into())).collect(),
                unplaced,
                values: Vec::new(),
            })
            .collect()
    }
}

/// Per group, by its key: the values of the kind an engine computed (`None` where writ does).
pub(super) type ByKey = std::collections::HashMap<Vec<Value>, Vec<Option<Value>>>;

/// The records of the groups of a derived kind, with their values: those `pre` gives (per
/// group, per value; empty for none), the others computed. Each group's values, on up to
/// `threads` threads for many groups (an 8-hour window per hour): the groups are cut into
/// consecutive runs, so the records come out in order.
#[allow(clippy::too_many_arguments)]
fn computed(
    model: &Model,
    facts: &Facts,
    at: At,
    d: &DerivedDef,
    groups: Vec<(Vec<Value>, Arc<[u32]>)>,
    pre: &[Vec<Option<Value>>],
    unplaced: Option<Arc<str>>,
    threads: usize,
) -> Records {
    let threads = if groups.len() >= PARALLEL_MIN_GROUPS { threads.max(1) } else { 1 };
    let run = groups.len().div_ceil(threads).max(1);
    let pre_of = |i: usize| if pre.is_empty() { &[][..] } else { &pre[i * run..(i * run + run).min(pre.len())] };
    let out: RowsBuilder = if threads == 1 {
        values_of(model, facts, at, d, &groups, pre, 0, &unplaced)
    } else {
        std::thread::scope(|scope| {
            let parts: Vec<_> = (groups.chunks(run).enumerate())
                .map(|(i, part)| {
                    let unplaced = &unplaced;
                    let pre = pre_of(i);
                    scope.spawn(move || values_of(model, facts, at, d, part, pre, i * run, unplaced))
                })
                .collect();
            let schema = Schema::of(model);
            let mut all = RowsBuilder::default();
            for p in parts {
                // Each run's records are numbered from the first of the kind already.
                all.append(&schema, p.join().expect("a thread computing derived values panicked"), 0);
            }
            all
        })
    };
    let sources = groups.into_iter().map(|(_, rows)| rows).collect();
    (out, sources)
}

/// The most record references the windows of one derived kind may hold in all (4 bytes each):
/// 8-hour windows over a million hourly readings hold 8 million.
/// (A hundred in this crate's own tests, so that the bound can be reached.)
const MAX_WINDOW_HOLDINGS: usize = if cfg!(test) { 100 } else { 100_000_000 };

/// Groups a derived kind must have before their values are computed on several threads.
const PARALLEL_MIN_GROUPS: usize = 4096;

/// The records of a run of groups, the first of which is the `offset`-th of the kind; `pre`
/// holds the values computed already (per group of the run, or empty).
#[allow(clippy::too_many_arguments)]
fn values_of(
    model: &Model,
    facts: &Facts,
    at: At,
    d: &DerivedDef,
    groups: &[(Vec<Value>, Arc<[u32]>)],
    pre: &[Vec<Option<Value>>],
    offset: usize,
    unplaced: &Option<Arc<str>>,
) -> RowsBuilder {
    let rec = &model.records[d.kind.index()];
    let schema = Schema::of(model);
    let mut ev = at.ev(model, facts);
    let mut env: Vec<Option<R>> = vec![None; d.slots as usize];
    let fmt = ev.fmt();
    // Aggregates over a group's records skip the checks of the whole source table, made once.
    let streamed = facts.tables[d.from.index()].streamed;
    let direct = !streamed && ev.whole_table(d.from);
    // Each record is added as it is computed; its cells are taken out, and the vector used
    // for the next.
    let mut out = RowsBuilder::default();
    let mut values: Vec<Option<Cell>> = vec![None; rec.fields.len()];
    for (i, (key, rows)) in groups.iter().enumerate() {
        values.iter_mut().for_each(|v| *v = None);
        for (g, v) in key.iter().enumerate() {
            values[g] = Some(Cell::Value(v.clone()));
            let slot = d.group_slots.get(g).copied().or(d.window.as_ref().map(|w| w.slot));
            if let Some(slot) = slot {
                env[slot as usize] = Some(R::V(v.clone()));
            }
        }
        if rec.keyless {
            let mut text = String::with_capacity(32);
            for (i, v) in key.iter().enumerate() {
                if i > 0 {
                    text.push_str(", ");
                }
                match v {
                    Value::Text(t) => text.push_str(t),
                    Value::Date(d) => write!(text, "{d}").expect("writing to a string"),
                    Value::DateTime(t) => write!(text, "{t}").expect("writing to a string"),
                    other => text.push_str(&fmt.plain(other)),
                }
            }
            values[rec.key] = Some(Cell::Value(Value::Text(text.into())));
        }
        // The records of a kind not kept are not there to read: a value the engine did not
        // compute is computed over none of them, as the engine's empty result means (no record
        // matched; a record without a value it reads is not there, or the kind would be kept).
        ev.restrict = Some((d.from, if streamed { Arc::from([]) } else { rows.clone() }));
        for (j, dv) in d.values.iter().enumerate() {
            let field = d.first_value() + j;
            let given = pre.get(i).and_then(|values| values.get(j).cloned().flatten());
            let r = match (unplaced, given) {
                (Some(why), _) => R::Unknown(why.to_string()),
                (None, Some(v)) => R::V(v),
                (None, None) => match direct.then(|| ev.group_aggregate(&dv.value)).flatten() {
                    Some(r) => r,
                    None => ev.eval(&dv.value, &mut env),
                },
            };
            let r = match (&dv.given, r) {
                (Some((cond, text)), R::V(v)) => match ev.eval(cond, &mut env) {
                    R::V(Value::Bool(true)) => R::V(v),
                    R::V(_) | R::Absent(_) => R::Unknown(format!(
                        "{} is not valid: `{text}` does not hold{}",
                        rec.fields[field].name,
                        shown(&fmt, cond, &env, &|slot| name_of(model, d, slot))
                    )),
                    R::Unknown(why) => {
                        R::Unknown(format!("whether {} is valid is unknown (`{text}`): {why}", rec.fields[field].name))
                    }
                },
                (_, r) => r,
            };
            values[field] = match &r {
                R::V(v) => Some(Cell::Value(v.clone())),
                R::Absent(_) => None,
                R::Unknown(why) => Some(Cell::Bad(why.as_str().into())),
            };
            env[dv.slot as usize] = Some(r);
        }
        ev.restrict = None;
        let line = (offset + i) as u32 + 1;
        out.push_cells(&schema, d.kind, (line, Default::default(), Default::default()), &mut values);
    }
    out
}

/// The name of the derived field bound to a slot.
fn name_of<'a>(model: &'a Model, d: &DerivedDef, slot: u32) -> Option<&'a str> {
    let fields = &model.records[d.kind.index()].fields;
    let window = d.window.as_ref().filter(|w| w.slot == slot).map(|_| d.groups.len());
    let at = (d.group_slots.iter().position(|&s| s == slot))
        .or(window)
        .or_else(|| d.values.iter().position(|v| v.slot == slot).map(|j| d.first_value() + j))?;
    fields.get(at).map(|f| f.name.as_str())
}

/// The values a failed `given` condition compared, for its reason: ` (小時數 = 19)`.
fn shown<'n>(fmt: &super::expr::Fmt, cond: &TExpr, env: &[Option<R>], name: &dyn Fn(u32) -> Option<&'n str>) -> String {
    let mut parts = Vec::new();
    let mut stack = vec![cond];
    while let Some(e) = stack.pop() {
        match &e.kind {
            TKind::Local(s) => {
                if let (Some(Some(R::V(v))), Some(n)) = (env.get(*s as usize).cloned(), name(*s)) {
                    let text = format!("{n} = {}", fmt.format(&v, &e.ty, e.unit.as_ref()));
                    if !parts.contains(&text) {
                        parts.push(text);
                    }
                }
            }
            TKind::Binary(_, a, b) => {
                stack.push(b);
                stack.push(a);
            }
            TKind::Unary(_, a) => stack.push(a),
            _ => {}
        }
    }
    if parts.is_empty() { String::new() } else { format!(" ({})", parts.join(", ")) }
}

/// The rows of a group listed one by one under a derived record; past this, counted.
const LISTED: usize = 400;

/// How a derived record came to be, for `writ explain`: its values, then each record of its
/// group with its values and, one level further down, how many records its own group had and
/// where they were read (`日數據 甲, 2019-01-01: 小時數 = 24, PM10 = 81 ug/m3 · from 24 小時數據,
/// PRSA_Data_甲.csv lines 2–25`). Empty for a record read from facts.
pub fn derivation(model: &Model, facts: &Facts, as_of: Date, kind: RecordId, key: &str) -> Vec<String> {
    let Some(d) = model.derived.iter().find(|d| d.kind == kind) else { return vec![] };
    let table = &facts.tables[kind.index()];
    let Some(row) = table.by_key.get(key) else { return vec![] };
    let ev = Ev::new(model, facts, as_of);
    let fmt = ev.fmt();
    let mut out = vec![format!("{} {key}: {}", model.records[kind.index()].name, values(model, facts, &fmt, d, row))];
    let Some(group) = table.groups.get(row as usize) else { return out };
    let from = &model.records[d.from.index()].name;
    match model.derived.iter().find(|s| s.kind == d.from) {
        // The group's records are derived too: each with its values and its own group.
        Some(sub) => {
            out.push(format!("  from {} {from} records:", group.len()));
            let sub_table = &facts.tables[sub.kind.index()];
            for &r in group.iter().take(LISTED) {
                let below = sub_table.groups.get(r as usize).map(|g| read_from(model, facts, sub.from, g));
                out.push(format!(
                    "    {} {}: {}{}",
                    from,
                    sub_table.key(r),
                    values(model, facts, &fmt, sub, r),
                    below.map(|b| format!(" · {b}")).unwrap_or_default()
                ));
            }
            if group.len() > LISTED {
                out.push(format!("    … and {} more", group.len() - LISTED));
            }
        }
        None => out.push(format!("  {}", read_from(model, facts, d.from, group))),
    }
    out
}

/// A derived record's values, `name = value` separated by commas; an invalid one with why.
fn values(model: &Model, facts: &Facts, fmt: &super::expr::Fmt, d: &DerivedDef, row: u32) -> String {
    let rec = &model.records[d.kind.index()];
    let table = &facts.tables[d.kind.index()];
    let mut parts = Vec::new();
    for (j, _) in d.values.iter().enumerate() {
        let f = d.first_value() + j;
        let field = &rec.fields[f];
        let v = match table.get(f, row) {
            Some(v) => fmt.format(&v, &field.ty, field.unit.as_ref()),
            None => match table.bad_cell(row, f as u32) {
                Some(why) => format!("unknown ({why})"),
                None => "no value".into(),
            },
        };
        parts.push(format!("{} = {v}", field.name));
    }
    parts.join(", ")
}

/// Where a group of records read from facts came from: how many, and the files and lines.
fn read_from(model: &Model, facts: &Facts, kind: RecordId, group: &[u32]) -> String {
    let table = &facts.tables[kind.index()];
    let name = &model.records[kind.index()].name;
    // Lines per file, as runs: `a.csv lines 2–25`.
    let mut by_file: IndexMap<u32, Vec<u32>> = IndexMap::new();
    for &r in group {
        let (file, line) = table.place(r);
        by_file.entry(file).or_default().push(line);
    }
    let files: Vec<String> = by_file
        .into_iter()
        .map(|(f, mut lines)| {
            lines.sort_unstable();
            let file = facts.files.get(f as usize).map_or("", |s| &**s);
            let (first, last) = (lines[0], lines[lines.len() - 1]);
            if first == last {
                format!("{file} line {first}")
            } else if (last - first) as usize + 1 == lines.len() {
                format!("{file} lines {first}–{last}")
            } else {
                format!("{file} {} lines from {first} to {last}", lines.len())
            }
        })
        .collect();
    format!("from {} {name} records, {}", group.len(), files.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Windows that would hold more records than the bound are listed, their values unknown
    /// with the reason, rather than held: a 30-day window over hourly readings would hold each
    /// reading 720 times.
    #[test]
    fn windows_past_the_bound_are_unknown_not_held() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval/statistics");
        let policy = std::fs::read_to_string(dir.join("policy/policy.writ")).unwrap();
        let file: Arc<str> = "policy.writ".into();
        let (module, _) = crate::syntax::parse(&file, &policy);
        let (model, diags) = crate::model::check(&[(file, &module)], false);
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
        let path: Arc<str> = "PRSA_Data_Jia_20190101-20190102.csv".into();
        let text = std::fs::read_to_string(dir.join("facts").join(&*path)).unwrap();
        let ff = crate::facts::parse_file(&Schema::of(&model), &path, &text);
        let facts = crate::facts::link(&Schema::of(&model), &[ff]);
        let as_of = Date::from_ymd(2020, 1, 15).unwrap();
        let derived = derive(&model, &facts, as_of, 1).unwrap();
        let kind = model.records.iter().position(|r| r.name == "O3八小時").unwrap();
        let table = &derived.tables[kind];
        // 48 hours, one window each: 8 hours a window would be some 300 holdings in all.
        assert_eq!(table.len(), 48);
        let o3 = model.records[kind].field("O3").unwrap();
        for row in 0..table.len() as u32 {
            let why = table.bad_cell(row, o3 as u32).expect("unknown");
            assert!(why.contains("would hold") && why.contains("more than the 100 writ holds"), "{why}");
        }
    }
}
