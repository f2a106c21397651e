//! What the CLI and browser tests share: the test SMTP servers' Maildir read by Python's `email`
//! package (a reader we did not write), and QR codes decoded by zbarimg (Debian zbar-tools).
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// `HOST:PORT` of one of the aiosmtpd servers scripts/test starts (fails, never skips, without).
pub fn smtp_server(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: the SMTP tests need the aiosmtpd servers scripts/test starts")
    })
}

/// The messages in the test Maildir sent from `from`, parsed by Python's `email` package (a
/// reader we did not write): headers, both bodies, attachments saved under `out`.
pub fn mails_from(from: &str, out: &Path) -> Vec<Value> {
    mails_where("From", from, out)
}

/// The messages in the test Maildir whose header `header` contains `value`.
pub fn mails_where(header: &str, value: &str, out: &Path) -> Vec<Value> {
    let maildir = std::env::var("ARFLOW_TEST_MAILDIR").expect("ARFLOW_TEST_MAILDIR is not set");
    const SCRIPT: &str = r#"
import email, email.policy, json, os, sys
maildir, header, sender, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
found = []
for name in sorted(os.listdir(os.path.join(maildir, "new"))):
    with open(os.path.join(maildir, "new", name), "rb") as f:
        msg = email.message_from_binary_file(f, policy=email.policy.default)
    if sender not in str(msg[header]):
        continue
    m = {k.lower(): str(v) for k, v in msg.items()}
    m["content_type"] = msg.get_content_type()
    m["attachments"] = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        if part.get_filename():
            path = os.path.join(out, "%d-%s" % (len(found), part.get_filename()))
            with open(path, "wb") as f:
                f.write(part.get_payload(decode=True))
            m["attachments"].append({"name": part.get_filename(), "type": part.get_content_type(), "path": path})
        elif part.get_content_type() == "text/plain":
            m["text"] = part.get_content()
        elif part.get_content_type() == "text/html":
            m["html"] = part.get_content()
    found.append(m)
print(json.dumps(found))
"#;
    let output = Command::new("python3")
        .args(["-c", SCRIPT, &maildir, header, value, out.to_str().unwrap()])
        .output()
        .expect("python3 is needed to read the Maildir");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The payload of the QR code in a PNG image, or `None` when it shows none (zbarimg exits with
/// 4 then).
pub fn qr_of_png(png: &str) -> Option<String> {
    let out = Command::new("zbarimg")
        .args(["--quiet", "--raw", "-Sbinary", png])
        .output()
        .expect("zbarimg (zbar-tools) is needed");
    out.status
        .success()
        .then(|| String::from_utf8(out.stdout).unwrap().trim_end_matches('\n').to_owned())
}
