//! The standard packages shipped with writ, imported by name (`import "gb3095-2012"`): the
//! national standards that the plans' air-quality targets are judged by, written in writ. Their
//! text is built into the binary, so an import needs no file beside the policy and no network.
//! Each has a test package (`policies/standards/tests/NAME/`) that imports it and
//! holds its boundaries (`writ test policies/standards/tests/gb3095-2012`).

/// Each standard package: its name and its files (name, text).
pub const PACKAGES: &[(&str, &[(&str, &str)])] = &[
    ("gb3095-2012", &[("gb3095-2012.writ", include_str!("../policies/standards/gb3095-2012/gb3095-2012.writ"))]),
    ("hj633-2012", &[("hj633-2012.writ", include_str!("../policies/standards/hj633-2012/hj633-2012.writ"))]),
    ("hj663-2013", &[("hj663-2013.writ", include_str!("../policies/standards/hj663-2013/hj663-2013.writ"))]),
];

/// The standard package with this name: its name as built in, and its files.
pub fn package(name: &str) -> Option<(&'static str, &'static [(&'static str, &'static str)])> {
    PACKAGES.iter().find(|(n, _)| *n == name).copied()
}

/// The names of the standard packages, for messages.
pub fn names() -> String {
    PACKAGES.iter().map(|(n, _)| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}
