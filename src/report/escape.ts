/**
 * Escaping for the report: every string that reaches HTML or SVG markup goes through here, so a
 * run name like `<script>` or `"><img src=x onerror=…>` is shown as text and never parsed.
 */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text safe in element content and in double- or single-quoted attribute values. */
export function escapeText(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}
