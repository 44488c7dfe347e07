/** Everything the admin pages show that came from data is escaped: a display name is text, never markup. */
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
