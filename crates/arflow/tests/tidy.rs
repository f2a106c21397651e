//! `tidy`: the mechanical rules of DESIGN.md, checked on every test run.
//!
//! - the crate dependency rules of the workspace table;
//! - no `f32`/`f64` in core, formats and store (money is exact);
//! - both migration trees have the same numbering, and the embedded list matches them;
//! - the parser crates deny `unwrap`, `expect`, indexing and `panic!`;
//! - no test is ignored (a ratchet at zero);
//! - nothing of the shared test corpus is copied into the repository;
//! - no package-registry host is named in the documentation.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn files_under(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            // fuzz/corpus and fuzz/artifacts are the fuzzer's own working copies (gitignored).
            let fuzz_work = (name == "corpus" || name == "artifacts")
                && p.parent().and_then(|d| d.file_name()).is_some_and(|d| d == "fuzz");
            if name != "target" && name != "node_modules" && !name.starts_with('.') && !fuzz_work {
                files_under(&p, ext, out);
            }
        } else if name.ends_with(ext) {
            out.push(p);
        }
    }
}

/// `[dependencies]` names of a crate's manifest (not dev-dependencies).
fn dependencies(manifest: &str) -> BTreeSet<String> {
    let mut deps = BTreeSet::new();
    let mut in_deps = false;
    for line in manifest.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            in_deps = t == "[dependencies]";
            continue;
        }
        if in_deps
            && !t.is_empty()
            && !t.starts_with('#')
            && let Some(name) = t.split(['=', '.', ' ']).next()
        {
            deps.insert(name.trim().to_owned());
        }
    }
    deps
}

#[test]
fn crates_depend_only_on_what_the_design_allows() {
    // crate -> (workspace crates it may use, external crates it must not use)
    let rules: BTreeMap<&str, (&[&str], &[&str])> = BTreeMap::from([
        (
            "core",
            (
                &[][..],
                &[
                    "tokio",
                    "sqlx",
                    "rusqlite",
                    "axum",
                    "reqwest",
                    "csv",
                    "quick-xml",
                    "lettre",
                    "typst",
                ][..],
            ),
        ),
        (
            "formats",
            (
                &["arflow-core"][..],
                &["tokio", "sqlx", "rusqlite", "axum", "reqwest", "lettre", "typst"][..],
            ),
        ),
        ("store", (&["arflow-core"][..], &["axum", "lettre", "typst", "csv", "quick-xml"][..])),
        ("notify", (&["arflow-core", "arflow-pdf"][..], &["sqlx", "rusqlite", "axum"][..])),
        ("pdf", (&["arflow-core"][..], &["sqlx", "rusqlite", "axum", "tokio", "lettre"][..])),
        (
            "app",
            (
                &["arflow-core", "arflow-formats", "arflow-store", "arflow-notify"][..],
                &["axum", "rusqlite"][..],
            ),
        ),
        ("web", (&["arflow-app", "arflow-core", "arflow-store"][..], &["sqlx", "rusqlite"][..])),
    ]);
    let root = root();
    let mut problems = Vec::new();
    for (krate, (internal_ok, external_banned)) in &rules {
        let manifest =
            std::fs::read_to_string(root.join("crates").join(krate).join("Cargo.toml")).unwrap();
        for dep in dependencies(&manifest) {
            if dep.starts_with("arflow") && !internal_ok.contains(&dep.as_str()) {
                problems.push(format!("crates/{krate} must not depend on {dep}"));
            }
            if external_banned.contains(&dep.as_str()) {
                problems.push(format!("crates/{krate} must not depend on {dep}"));
            }
        }
    }
    assert!(problems.is_empty(), "dependency rules broken:\n{}", problems.join("\n"));
}

/// Code of a Rust file without comments and string literals (good enough for token checks).
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
            }
            '"' => {
                let mut escaped = false;
                for n in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if n == '\\' {
                        escaped = true;
                    } else if n == '"' {
                        break;
                    }
                }
                out.push_str("\"\"");
            }
            _ => out.push(c),
        }
    }
    out
}

#[test]
fn no_floating_point_in_core_formats_and_store() {
    let root = root();
    let mut files = Vec::new();
    for krate in ["core", "formats", "store"] {
        files_under(&root.join("crates").join(krate), ".rs", &mut files);
    }
    assert!(files.len() > 10, "found too few files: {}", files.len());
    let mut problems = Vec::new();
    for f in files {
        let code = code_only(&std::fs::read_to_string(&f).unwrap());
        for (i, line) in code.lines().enumerate() {
            let words = line.split(|c: char| !c.is_alphanumeric() && c != '_');
            if words.into_iter().any(|w| w == "f32" || w == "f64") {
                problems.push(format!("{}:{}: {}", f.display(), i + 1, line.trim()));
            }
        }
    }
    assert!(problems.is_empty(), "floating point near money:\n{}", problems.join("\n"));
}

#[test]
fn both_migration_trees_have_the_same_numbering_and_are_all_embedded() {
    let root = root().join("crates/store");
    let list = |backend: &str| -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(root.join("migrations").join(backend))
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        names.sort();
        names
    };
    let sqlite = list("sqlite");
    let postgres = list("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres, "migration files differ between sqlite and postgres");
    for (i, name) in sqlite.iter().enumerate() {
        let number: usize = name.get(..4).and_then(|n| n.parse().ok()).unwrap_or(0);
        assert_eq!(number, i + 1, "{name}: migrations are numbered 0001, 0002, … without gaps");
    }
    let embedded: Vec<String> = arflow_store::migrations::MIGRATIONS
        .iter()
        .map(|m| format!("{:04}_{}.sql", m.version, m.name))
        .collect();
    assert_eq!(embedded, sqlite, "migrations.rs must list every migration file");
}

#[test]
fn parser_crates_deny_panicking_constructs() {
    let root = root();
    for krate in ["core", "formats"] {
        let lib =
            std::fs::read_to_string(root.join("crates").join(krate).join("src/lib.rs")).unwrap();
        for lint in [
            "clippy::unwrap_used",
            "clippy::expect_used",
            "clippy::indexing_slicing",
            "clippy::panic",
        ] {
            assert!(lib.contains(lint), "crates/{krate}/src/lib.rs must deny {lint}");
        }
    }
}

#[test]
fn no_test_is_ignored() {
    let root = root();
    let mut files = Vec::new();
    files_under(&root.join("crates"), ".rs", &mut files);
    let marker = ["#[", "ignore"].concat();
    let offenders: Vec<String> = files
        .iter()
        .filter(|f| std::fs::read_to_string(f).unwrap().contains(&marker))
        .map(|f| f.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "ignored tests are not allowed:\n{}", offenders.join("\n"));
}

/// Every tracked-looking file of the repository whose bytes equal a corpus file.
#[test]
fn nothing_of_the_shared_corpus_is_copied_into_the_repository() {
    use std::collections::HashMap;
    let root = root();
    let corpus = std::env::var_os("ARFLOW_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/corpus"));
    assert!(corpus.is_dir(), "the shared corpus is expected at {}", corpus.display());
    let mut corpus_files = Vec::new();
    files_under(&corpus, "", &mut corpus_files);
    let mut by_len: HashMap<u64, Vec<PathBuf>> = HashMap::new();
    for f in corpus_files {
        let len = std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
        if len >= 200 {
            by_len.entry(len).or_default().push(f);
        }
    }
    let mut ours = Vec::new();
    for dir in ["crates", "docs", "examples", "scripts", "e2e", "fuzz"] {
        files_under(&root.join(dir), "", &mut ours);
    }
    let mut copies = Vec::new();
    for f in ours {
        let len = std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
        if let Some(candidates) = by_len.get(&len) {
            let bytes = std::fs::read(&f).unwrap();
            for c in candidates {
                if std::fs::read(c).map(|b| b == bytes).unwrap_or(false) {
                    copies.push(format!("{} is a copy of {}", f.display(), c.display()));
                }
            }
        }
    }
    assert!(copies.is_empty(), "read the corpus in place, never copy it:\n{}", copies.join("\n"));
}

#[test]
fn documentation_names_no_package_registry_host() {
    let root = root();
    let mut docs = vec![root.join("README.md")];
    files_under(&root.join("docs"), ".md", &mut docs);
    let hosts = [
        ["crates", ".io"].concat(),
        ["pypi", ".org"].concat(),
        ["npmjs", ".com"].concat(),
        ["registry.", "npmjs"].concat(),
    ];
    let mut found = Vec::new();
    for d in docs {
        let text = std::fs::read_to_string(&d).unwrap_or_default().to_lowercase();
        for h in &hosts {
            if text.contains(h.as_str()) {
                found.push(format!("{} names {h}", d.display()));
            }
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
}
