//! The template editor: every dunning step's message in each language, edited, checked (it must
//! compile, render for a business and a consumer debtor, and keep what the law requires), and
//! previewed with sample data as the debtor would receive it.

use arflow_app::templates::TemplateText;
use arflow_app::{App, AppError};
use arflow_core::party::DebtorKind;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::page::{Page, esc};
use super::{Staff, failure, redirect_to};

/// `reminder.fr` → (`reminder`, `fr`).
fn split_id(id: &str) -> Option<(&str, &str)> {
    id.rsplit_once('.')
}

/// `GET /templates`.
pub(crate) async fn list(State(app): State<App>, staff: Staff) -> Response {
    let lang = staff.lang;
    let all = match app.list_templates(Some(&staff.current.slug)).await {
        Ok(l) => l,
        Err(e) => return failure(&e),
    };
    let rows: String = all
        .iter()
        .map(|t| {
            let id = format!("{}.{}", t.step.as_str(), t.language.as_str());
            format!(
                "<tr><td><a href=\"/templates/{id}\">{step}</a></td><td>{language}</td><td>{subject}</td><td>{edited}</td></tr>",
                step = esc(t.step.as_str()),
                language = esc(t.language.as_str()),
                subject = esc(&t.subject),
                edited = if t.edited { esc(lang.t("edited")) } else { String::new() },
            )
        })
        .collect();
    let body = format!(
        "<h1>{title}</h1><section class=\"card\"><table id=\"templates\"><thead><tr><th>{step}</th><th>{language}</th>\
         <th>{subject}</th><th></th></tr></thead><tbody>{rows}</tbody></table></section>",
        title = esc(lang.t("templates")),
        step = esc(lang.t("step")),
        language = esc(lang.t("language")),
        subject = esc(lang.t("subject")),
    );
    Html(Page::layout(lang, lang.t("templates"), &Page::header(lang, &staff.session), &body))
        .into_response()
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ShowQuery {
    #[serde(default)]
    kind: Option<String>,
}

/// `GET /templates/{step}.{language}?kind=business|consumer`: the editor and the preview.
pub(crate) async fn show(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Query(q): Query<ShowQuery>,
) -> Response {
    let consumer = q.kind.as_deref() == Some("consumer");
    editor(&app, &staff, &id, consumer, StatusCode::OK, None, None).await
}

async fn editor(
    app: &App,
    staff: &Staff,
    id: &str,
    consumer: bool,
    status: StatusCode,
    draft: Option<&TemplateText>,
    notice: Option<&str>,
) -> Response {
    let lang = staff.lang;
    let not_found = || staff.not_found();
    let Some((step, language)) = split_id(id) else { return not_found() };
    let all = match app.list_templates(Some(&staff.current.slug)).await {
        Ok(l) => l,
        Err(e) => return failure(&e),
    };
    let Some(current) =
        all.iter().find(|t| t.step.as_str() == step && t.language.as_str() == language)
    else {
        return not_found();
    };
    let kind = if consumer { DebtorKind::Consumer } else { DebtorKind::Business };
    // A draft that passed its checks is previewed as it stands; otherwise the text in force.
    let draft_preview = match (draft, notice) {
        (Some(d), None) => app
            .preview_template_draft(Some(&staff.current.slug), step, language, kind, d)
            .await
            .ok(),
        _ => None,
    };
    let is_draft = draft_preview.is_some();
    let preview = match draft_preview {
        Some(p) => p,
        None => match app.preview_template(Some(&staff.current.slug), step, language, kind).await {
            Ok(p) => p,
            Err(e) => return failure(&e),
        },
    };
    let (subject, text, html) = match draft {
        Some(d) => (d.subject.as_str(), d.text.as_str(), d.html.as_deref().unwrap_or("")),
        None => {
            (current.subject.as_str(), current.text.as_str(), current.html.as_deref().unwrap_or(""))
        }
    };
    let csrf = esc(&staff.session.csrf);
    let notice = notice
        .map_or_else(String::new, |n| format!("<p class=\"notice\" role=\"alert\">{}</p>", esc(n)));
    let reset = if current.edited && staff.role.can_operate() {
        format!(
            "<form method=\"post\" action=\"/templates/{id}/reset\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
             <button type=\"submit\">{}</button></form>",
            esc(lang.t("reset_template"))
        )
    } else {
        String::new()
    };
    let kinds = format!(
        "<p>{label}: <a href=\"/templates/{id}\"{b}>{business}</a> · <a href=\"/templates/{id}?kind=consumer\"{c}>{consumer_l}</a></p>",
        label = esc(lang.t("preview_for")),
        b = if consumer { "" } else { " aria-current=\"page\"" },
        c = if consumer { " aria-current=\"page\"" } else { "" },
        business = esc(lang.t("business")),
        consumer_l = esc(lang.t("consumer")),
    );
    let body = format!(
        "<h1>{title}: {step} · {language}</h1>{notice}\
         <form class=\"card\" method=\"post\" action=\"/templates/{id}\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label for=\"subject\">{subject_l}</label><input id=\"subject\" name=\"subject\" value=\"{subject}\" style=\"width:100%\">\
         <label for=\"text\">{text_l}</label><textarea id=\"text\" name=\"text\" rows=\"18\" style=\"width:100%;font-family:monospace\">{text}</textarea>\
         <label for=\"html\">{html_l}</label><textarea id=\"html\" name=\"html\" rows=\"6\" style=\"width:100%;font-family:monospace\">{html}</textarea>\
         <p><button type=\"submit\">{save}</button> <button type=\"submit\" name=\"preview\" value=\"{kind_v}\" id=\"preview-draft\">{draft_l}</button> \
         <button type=\"submit\" name=\"test_send\" value=\"{kind_v}\" id=\"test-send\">{test_l}</button></p></form>{reset}\
         <section class=\"card\" id=\"preview\"><h2>{preview_l}</h2>{draft_note}{kinds}\
         <p><strong id=\"preview-subject\">{p_subject}</strong></p><pre id=\"preview-text\" style=\"white-space:pre-wrap\">{p_text}</pre>\
         <iframe title=\"{preview_l}\" sandbox srcdoc=\"{p_html}\" style=\"width:100%;height:24rem;border:1px solid #ccd\"></iframe></section>",
        title = esc(lang.t("templates")),
        step = esc(step),
        language = esc(language),
        subject_l = esc(lang.t("subject")),
        subject = esc(subject),
        text_l = esc(lang.t("text")),
        text = esc(text),
        html_l = esc(lang.t("html_optional")),
        html = esc(html),
        save = esc(lang.t("save")),
        kind_v = if consumer { "consumer" } else { "business" },
        test_l = esc(lang.pick("Stuur mij een test", "M'envoyer un test", "Send me a test")),
        draft_l = esc(lang.pick(
            "Voorbeeld zonder opslaan",
            "Aperçu sans enregistrer",
            "Preview without saving"
        )),
        draft_note = if is_draft {
            format!(
                "<p class=\"notice\" id=\"draft-preview\" role=\"status\">{}</p>",
                esc(lang.pick(
                    "Dit is het voorbeeld van de tekst hierboven; die is nog niet opgeslagen.",
                    "Ceci est l'aperçu du texte ci-dessus, qui n'est pas encore enregistré.",
                    "This previews the text above, which is not saved yet.",
                ))
            )
        } else {
            String::new()
        },
        preview_l = esc(lang.t("preview")),
        p_subject = esc(&preview.rendered.subject),
        p_text = esc(&preview.rendered.text),
        p_html = esc(&preview.rendered.html),
    );
    (
        status,
        Html(Page::layout(lang, lang.t("templates"), &Page::header(lang, &staff.session), &body)),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
pub(crate) struct SaveIn {
    csrf: String,
    subject: String,
    text: String,
    #[serde(default)]
    html: String,
    /// Set (`business` or `consumer`) by the "preview without saving" button: check and show,
    /// store nothing.
    #[serde(default)]
    preview: Option<String>,
    /// Set (`business` or `consumer`) by the "send me a test" button: check the draft and send
    /// it, rendered with sample data, to the signed-in person; store nothing.
    #[serde(default)]
    test_send: Option<String>,
}

/// `POST /templates/{step}.{language}`: check and save — or, with `preview`, check and preview
/// the draft without saving it.
pub(crate) async fn save(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<SaveIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_operate()) {
        return r;
    }
    let Some((step, language)) = split_id(&id) else {
        return editor(&app, &staff, &id, false, StatusCode::NOT_FOUND, None, None).await;
    };
    let html = form.html.trim();
    // Browsers send text areas with CRLF line ends.
    let text = TemplateText {
        subject: form.subject.replace("\r\n", "\n"),
        text: form.text.replace("\r\n", "\n"),
        html: (!html.is_empty()).then(|| html.replace("\r\n", "\n")),
    };
    if let Some(kind) = form.test_send.as_deref() {
        return test_send(&app, &staff, &id, step, language, kind == "consumer", &text).await;
    }
    if let Some(kind) = form.preview.as_deref() {
        let consumer = kind == "consumer";
        let kind = if consumer { DebtorKind::Consumer } else { DebtorKind::Business };
        return match app
            .preview_template_draft(Some(&staff.current.slug), step, language, kind, &text)
            .await
        {
            Ok(_) => editor(&app, &staff, &id, consumer, StatusCode::OK, Some(&text), None).await,
            Err(AppError::Invalid { message, .. }) => {
                editor(
                    &app,
                    &staff,
                    &id,
                    consumer,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(&text),
                    Some(&message),
                )
                .await
            }
            Err(e) => failure(&e),
        };
    }
    match app
        .put_template(Some(&staff.current.slug), step, language, text.clone(), &staff.actor())
        .await
    {
        Ok(_) => redirect_to(&format!("/templates/{id}#preview")),
        Err(AppError::Invalid { message, .. }) => {
            editor(
                &app,
                &staff,
                &id,
                false,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(&text),
                Some(&message),
            )
            .await
        }
        Err(e) => failure(&e),
    }
}

/// `POST /templates/{step}.{language}/reset`: back to the built-in text.
pub(crate) async fn reset(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(form): Form<super::CsrfIn>,
) -> Response {
    if let Err(r) = staff.check_csrf(&form.csrf).and_then(|()| staff.may_operate()) {
        return r;
    }
    let Some((step, language)) = split_id(&id) else {
        return editor(&app, &staff, &id, false, StatusCode::NOT_FOUND, None, None).await;
    };
    match app.reset_template(Some(&staff.current.slug), step, language, &staff.actor()).await {
        Ok(()) => redirect_to(&format!("/templates/{id}")),
        Err(AppError::NotFound { .. } | AppError::Invalid { .. }) => {
            editor(&app, &staff, &id, false, StatusCode::NOT_FOUND, None, None).await
        }
        Err(e) => failure(&e),
    }
}

/// The "send me a test" button: the draft, checked and rendered with sample data, to the
/// signed-in person's address; the editor keeps the draft and says what happened.
async fn test_send(
    app: &App,
    staff: &Staff,
    id: &str,
    step: &str,
    language: &str,
    consumer: bool,
    text: &TemplateText,
) -> Response {
    let kind = if consumer { DebtorKind::Consumer } else { DebtorKind::Business };
    let to = staff.session.user.email.clone();
    let lang = staff.lang;
    let slug = staff.current.slug.clone();
    let sent = app
        .send_template_test(Some(&slug), step, language, kind, Some(text), &to, &staff.actor())
        .await;
    let (status, message) = match sent {
        Ok(_) => (
            StatusCode::OK,
            format!(
                "{} {to}.",
                lang.pick(
                    "Testbericht (met voorbeeldgegevens) verzonden naar",
                    "Message de test (avec des données d'exemple) envoyé à",
                    "Test message (with sample data) sent to",
                )
            ),
        ),
        Err(AppError::Invalid { field: Some(f), message }) if f == "smtp" => {
            super::mail_failure(app, lang, &message)
        }
        Err(AppError::Invalid { message, .. }) => (StatusCode::UNPROCESSABLE_ENTITY, message),
        Err(e) => return failure(&e),
    };
    editor(app, staff, id, consumer, status, Some(text), Some(&message)).await
}
