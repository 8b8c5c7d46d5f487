//! A Ballista cluster on loopback, to try `writ eval --engine ballista://…` without installing
//! one: a scheduler and executors in this process, each listening on 127.0.0.1
//! ([`writ::eval::ballista::Loopback`], the cluster `tests/ballista.rs` starts).
//!
//! ```sh
//! cargo run --release --features ballista --example ballista_loopback -- 2
//! ```
//!
//! starts the scheduler and two executors (the argument; 2 when it is left out), prints
//! `ballista://127.0.0.1:PORT` for `--engine`, and runs until its standard input ends (Ctrl-D,
//! or the end of a pipe); then it stops the cluster and removes the executors' work folders.

use std::io::Read;

fn main() {
    let executors = match std::env::args().nth(1).map(|a| a.parse::<usize>()) {
        None => 2,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: ballista_loopback [EXECUTORS]: the number of executors, 1 or more (2 by default)");
            std::process::exit(2);
        }
    };
    let cluster = match writ::eval::ballista::Loopback::start(executors) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    };
    println!("ballista://{}", cluster.scheduler);
    eprintln!(
        "a scheduler and {executors} executors on 127.0.0.1, working in {}; end standard input (Ctrl-D) to stop them",
        cluster.work.display()
    );
    let mut rest = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut rest);
    drop(cluster);
}
