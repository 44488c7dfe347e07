/** Everything the admin pages show that came from data is escaped: a display name is text, never markup. */
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** A form, not a link: a GET that signed out could be triggered by any page the operator visits. */
export const SIGN_OUT_FORM = `<form method="post" action="/logout"><button type="submit">Sign out</button></form>`;
