// Progressive enhancement only: every page works without this file.
"use strict";
document.querySelectorAll("button.copy[data-copy]").forEach((button) => {
  const source = document.querySelector(button.dataset.copy);
  if (!source || !navigator.clipboard) return;
  button.hidden = false;
  const label = button.textContent;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(source.textContent.trim());
      button.textContent = button.dataset.copied || label;
      setTimeout(() => { button.textContent = label; }, 2000);
    } catch (error) {
      button.hidden = true;
    }
  });
});
// A form that came back refused (web.form_errors): focus its field in error, whose description is the message, so
// it is seen and read out wherever the form sits on a long page; an error about the whole form is scrolled into view.
const invalidField = document.querySelector('form [aria-invalid="true"]');
const formError = document.querySelector("form .field-error");
if (invalidField) invalidField.focus();
else if (formError) formError.scrollIntoView({ block: "center" });
