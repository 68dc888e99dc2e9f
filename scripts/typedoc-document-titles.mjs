// TypeDoc plugin for `npm run docs` (typedoc.config.mjs): names each page
// under docs/ by its first heading (`# Running in production`), not by its
// file name (`production`), as the page reads on GitHub. The pages are plain
// Markdown, with no front matter for a `title`.
import { Converter } from 'typedoc';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_CREATE_DOCUMENT, (_context, document) => {
    if (typeof document.frontmatter.title === 'string') return;
    const text = document.content.map((part) => part.text).join('');
    const heading = /^# (.+)$/m.exec(text)?.[1];
    if (heading) document.name = heading.replace(/`/g, '').trim();
  });
}
