//! The staff web application in a real headless Chromium: `arflow serve --demo` on a fresh
//! database, driven by `e2e/staff.mjs` (playwright-core). `scripts/test` installs Chromium,
//! Node.js and playwright-core; without them this test fails, it is never skipped.
//! Screenshots of each main page land in `artifacts/browser/` (not committed).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn arflow(db: &str, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_arflow"))
        .args(args)
        .env("ARFLOW_DB", db)
        .env("ARFLOW_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "arflow {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_person_signs_in_switches_organisation_finds_a_debtor_pauses_and_resumes_in_chromium() {
    let chromium = std::env::var("ARFLOW_TEST_CHROMIUM").expect(
        "ARFLOW_TEST_CHROMIUM is not set: the browser tests need Chromium (scripts/test installs it)",
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = root.join("e2e/staff.mjs");
    assert!(
        root.join("e2e/node_modules/playwright-core").is_dir(),
        "playwright-core is not installed in e2e/ (scripts/test installs it)"
    );
    let dir = std::env::temp_dir().join(format!("arflow-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("arflow.db").display());
    let addr = format!("127.0.0.1:{}", free_port());
    let url = format!("http://{addr}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_arflow"))
        .args(["serve", "--demo", "--no-scheduler", "--addr", &addr])
        .env("ARFLOW_DB", &db)
        .env("ARFLOW_LOG", "warn")
        .current_dir(&dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let server = Server { child, dir: dir.clone() };

    // The printed sign-in, then a healthy server.
    let mut login = None;
    for line in BufReader::new(stderr).lines().map_while(Result::ok) {
        if let Some(rest) = line.trim().strip_prefix("sign in:") {
            let parts: Vec<String> = rest.split_whitespace().map(str::to_owned).collect();
            login = Some((parts[1].clone(), parts[3].clone()));
        }
        if line.trim().starts_with("token:") {
            break;
        }
    }
    let (email, password) = login.expect("serve --demo prints a sign-in");
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < deadline, "the server never listened");
        std::thread::sleep(Duration::from_millis(100));
    }
    // A second organisation the demo person works for, as an accountant.
    arflow(&db, &["org", "create", "--slug", "tweede", "--name", "Tweede BV", "--country", "BE"]);
    arflow(&db, &["--org", "tweede", "user", "grant", "--email", &email, "--role", "accountant"]);

    let artifacts = root.join("artifacts/browser");
    let out = Command::new("node")
        .arg(&script)
        .env("ARFLOW_URL", &url)
        .env("ARFLOW_EMAIL", &email)
        .env("ARFLOW_PASSWORD", &password)
        .env("ARFLOW_SECOND_ORG", "tweede|Tweede BV")
        .env("ARFLOW_ARTIFACTS", &artifacts)
        .env("ARFLOW_TEST_CHROMIUM", &chromium)
        .stdin(Stdio::null())
        .output()
        .expect("node is needed for the browser tests (scripts/test installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "e2e/staff.mjs failed\nstdout:\n{stdout}\nstderr:\n{stderr}");
    assert!(stdout.contains("staff pages: ok"), "{stdout}");
    for page in ["login", "dashboard", "debtors", "debtor"] {
        assert!(artifacts.join(format!("{page}.png")).is_file(), "no screenshot of {page}");
    }
    drop(server);
}
