import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TooDeepError, extractContent } from './content.js';
import { DEFAULT_PAGE_LIMITS } from './crawl-page.js';
import { extractLinks } from './extract-links.js';
import { capContent, pageContent } from './page-content.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/pages/${name}`, import.meta.url), 'utf8');
const all = { markdown: true, text: true, html: true };
const limits = DEFAULT_PAGE_LIMITS;

describe('main content as markdown, on pages shaped like real ones', () => {
  // Hand-written in the shape of real pages (no internet here): a docs page, a news article, a forum thread.
  for (const name of ['docs', 'news', 'forum']) {
    it(`${name}.html matches its expected markdown`, async () => {
      const { markdown } = extractContent(fixture(`${name}.html`), `https://example.org/${name}/`, {
        ...all,
        onlyMainContent: true,
      });
      await expect(`${markdown}\n`).toMatchFileSnapshot(`../../fixtures/pages/${name}.md`);
    });
  }

  it('keeps headings, emphasis, lists, tables and code, and drops the furniture', () => {
    const { markdown } = extractContent(fixture('docs.html'), 'https://docs.example/guides/retries', {
      ...all,
      onlyMainContent: true,
    });
    for (const kept of [
      '# Configuring retries',
      '## Backoff strategies',
      '### Dead letters',
      '**attempts**',
      '_one_',
      '1. validation errors',
      '- Failed jobs keep their stack trace.',
      '| Strategy    | Wait before attempt n   | Use it for                    |',
      "```ts\nawait queue.add('send-email'",
    ])
      expect(markdown).toContain(kept);
    for (const dropped of ['Read the release notes', 'Edit this page', 'Copyright', 'cookies', 'On this page', 'Docs'])
      expect(markdown).not.toContain(dropped);
  });

  it('keeps the furniture with onlyMainContent false, scripts and styles aside', () => {
    const { markdown, html } = extractContent(fixture('docs.html'), 'https://docs.example/', {
      ...all,
      onlyMainContent: false,
    });
    expect(markdown).toContain('Edit this page');
    expect(markdown).toContain('Copyright © 2026 Quarry Labs');
    expect(markdown).toContain('# Configuring retries');
    expect(markdown).not.toContain('__DOCS_CONFIG__');
    expect(html).toBe(fixture('docs.html'));
  });

  it('makes links absolute, and gives text a line per block', () => {
    const html = '<main><p>See <a href="../faq#top">the FAQ</a>.</p><ul><li>one</li><li>two <b>2</b></li></ul></main>';
    const content = extractContent(html, 'https://a.example/docs/page', { ...all, onlyMainContent: true });
    expect(content.markdown).toContain('[the FAQ](https://a.example/faq#top)');
    expect(content.text).toBe('See the FAQ.\none\ntwo 2');
    expect(content.html).toBe(
      '<main><p>See <a href="https://a.example/faq#top">the FAQ</a>.</p>' +
        '<ul><li>one</li><li>two <b>2</b></li></ul></main>',
    );
  });

  it('keeps a wrapper whose class names boilerplate when the main content is inside it', () => {
    const html =
      '<body><div class="layout-with-sidebar"><article><h1>Title</h1><p>Body text</p></article></div></body>';
    const { text } = extractContent(html, 'https://a.example/', { ...all, onlyMainContent: true });
    expect(text).toBe('Title\nBody text');
  });
});

describe('main content: what real pages do', () => {
  const prose = (n: number, word = 'river') =>
    Array.from(
      { length: n },
      (_, i) => `<p>Paragraph ${i} about the ${word}, with enough words, commas, and clauses to read as prose.</p>`,
    ).join('');
  const text = (html: string) =>
    extractContent(html, 'https://example.org/a', { markdown: true, text: true, html: false, onlyMainContent: true });

  it('keeps a page wrapped in one big form (ASP.NET), and drops a small form', () => {
    const page = `<html><body><form id="aspnetForm"><nav><a href="/">Home</a></nav><div class="story">${prose(6)}</div>
      <form class="search"><label>Search the site</label><input name="q"></form></form></body></html>`;
    const { text: out } = text(page);
    expect(out).toContain('Paragraph 5 about the river');
    expect(out).not.toContain('Search the site');
  });

  it('reads prose in <noscript> (the page for readers without scripts), not a notice or escaped markup', () => {
    const page = `<html><body><noscript><p>Please enable JavaScript to comment.</p></noscript>
      <div class="post-body"><script type="text/template">${prose(1, 'script copy')}</script>
      <noscript><span>By the desk</span><br>${prose(5, 'lake').replace(/<\/?p>/g, '<br>')}</noscript></div>
      <noscript>&lt;div&gt;&lt;a href="https://ads.example/"&gt;&lt;img src="https://ads.example/1.gif"&gt;&lt;/a&gt;&lt;/div&gt;
      ${'&lt;img src="https://ads.example/pixel.gif" width="1" height="1"&gt;'.repeat(8)}</noscript></body></html>`;
    const { text: out, markdown } = text(page);
    expect(out).toContain('Paragraph 4 about the lake');
    expect(markdown).toContain('Paragraph 4 about the lake');
    expect(out).not.toContain('enable JavaScript');
    expect(out).not.toContain('script copy');
    expect(out).not.toContain('ads.example');
  });

  it("keeps a forum thread's posts inside its moderation form; a login or a list of names in a form stays out", () => {
    const posts = Array.from(
      { length: 8 },
      (_, i) =>
        `<li class="message"><div class="messageUserInfo"><a href="/u/${i}">user${i}</a></div>
        <blockquote class="messageText">Post ${i}: the council met again on Tuesday, and the vote, after a long debate,<br>
        went the other way this time, which surprised most of the people in the room.</blockquote></li>`,
    ).join('');
    const names = Array.from({ length: 60 }, (_, i) => `<a href="/users/n${i}">name_${i}</a>`).join(', ');
    const page = `<html><body><header><form action="/login"><label>User name</label><input name="u">
      <button>Log in and see what the community says about this, the weather and everything else</button></form></header>
      <h1>Council vote thread</h1><form action="inline-mod/post/switch" class="InlineModForm">
      <ol class="messageList">${posts}</ol></form>
      <form id="new_kudo" action="/kudos"><p>Kudos from ${names}</p></form></body></html>`;
    const { text: out } = text(page);
    expect(out).toContain('Post 0: the council met');
    expect(out).toContain('Post 7: the council met');
    expect(out).not.toContain('User name');
    expect(out).not.toContain('name_59');
  });

  it('finds prose written straight into a wrapper, without paragraphs', () => {
    const story = 'The team at the clinic found two of its five cars broken into this morning, batteries gone. '.repeat(
      4,
    );
    const page = `<html><body><div class="col"><p class="title">Clinic cars broken into overnight</p><small>Posted by the desk</small>
      <br>${story}<br></div><div class="info"><p>Main Street 1, Springfield, phone 555-0100, open Monday to Friday, nine to five.</p>
      <p>Springfield, Illinois, open on weekdays, closed on holidays, parking at the back.</p></div>
      </body></html>`;
    expect(text(page).text).toContain('batteries gone');
  });

  it('joins an article cut into same-class blocks that are not siblings (each in a grid beside ads)', () => {
    const grid = (n: number, word: string) =>
      `<div class="grid"><div class="body__container">${prose(n, word)}</div><div class="rail">Ad</div></div>`;
    const links = Array.from({ length: 8 }, (_, i) => `<li><a href="/s${i}">Other story ${i}</a></li>`).join('');
    const page = `<html><body><div class="page">${grid(6, 'start')}<ul class="promo">${links}</ul>${grid(3, 'rest')}
      </div></body></html>`;
    const { text: out } = text(page);
    expect(out).toContain('Paragraph 5 about the start');
    expect(out).toContain('Paragraph 2 about the rest');
    expect(out).not.toContain('Other story');
  });

  it('drops a run of link-only paragraphs (teasers) and what is marked nocontent', () => {
    const page = `<html><body><div class="story">${prose(6)}
      <p><a href="/a">First other story</a></p><p><a href="/b">Second other story</a></p>
      <div class="col nocontent"><p>Popular now, with commas, clauses, and enough words to read as a paragraph.</p></div>
      </div></body></html>`;
    const { text: out } = text(page);
    expect(out).toContain('Paragraph 5 about the river');
    expect(out).not.toContain('First other story');
    expect(out).not.toContain('Popular now');
  });

  it('drops hidden copies of the article metadata, even where they name the article', () => {
    const page = `<html><body><article>${prose(5)}<div style="display:none" itemscope itemtype="http://schema.org/NewsArticle">
      <div itemprop="articleBody">A hidden teaser of the article.</div><div itemprop="datePublished">2019-11-19</div></div>
      </article></body></html>`;
    const { text: out } = text(page);
    expect(out).toContain('Paragraph 4');
    expect(out).not.toContain('hidden teaser');
    expect(out).not.toContain('2019-11-19');
  });

  it('keeps the locked part of a story (div.paywall around prose), drops a subscription prompt', () => {
    const page = `<html><body><article>${prose(2)}<div class="paywall">${prose(4, 'ferry')}</div>
      <div class="subscribe-box"><p>Subscribe for full access.</p></div></article></body></html>`;
    const { text: out } = text(page);
    expect(out).toContain('Paragraph 3 about the ferry');
    expect(out).not.toContain('Subscribe for full access');
  });

  it('keeps a WordPress post whose classes name its author and tags (`hentry post author-x tag-y`)', () => {
    const page = `<html><body><main><article class="postSingle hentry post author-solarserver tag-news category-energy">
      <div class="byline">By the desk</div>${prose(6)}</article></main><footer>Imprint</footer></body></html>`;
    const { text: out } = text(page);
    expect(out).toContain('Paragraph 5 about the river');
    expect(out).not.toContain('By the desk');
  });

  it('keeps a short article that cleaning would take whole for a link list (a product page, a short note)', () => {
    // 365 characters, two fifths of them links, three images: conditional cleaning alone would leave nothing.
    const page = `<html><body><div id="page"><div id="nav"></div><div id="contentcontainer"><div class="detail">
      <p>Conflicts nobody likes. And yet we meet them constantly, in every part of life, at work and at home.</p>
      <p>Talking is one of the hardest parts of our lives, full of traps, says <a href="/coach">the coach we asked about it</a>.</p>
      <p>Her <a href="/book">new book on the subject of conflict</a> shows how to <a href="/talks">master hard talks at work</a> calmly.</p>
      <p>Read more in <a href="/issue">this month's issue of the magazine</a> and on <a href="/blog">our blog about work and life</a>.</p>
      <img src="/i1.png"><img src="/i2.png"><img src="/i3.png"></div></div></div></body></html>`;
    const { text: out } = text(page);
    expect(out).toContain('Conflicts nobody likes');
    expect(out).toContain('master hard talks');
  });

  it('does not take a date line whose class names the article (`div.articleMeta`) for the article it heads', () => {
    const said = [
      'Car dealers may open again from Monday, the state said, with masks and distance rules for every customer.',
      'Workshops had stayed open, but sales rooms were closed for five weeks, which hit small dealers hard.',
      'One dealer said that the first days would show whether customers come back, or stay away for now.',
      'The trade group welcomed the decision, and asked for clear rules, so that nobody has to close again.',
    ];
    const page = `<html><body><div id="wrapper"><div class="box"><div class="articleMeta"><p>Updated 20 April 2020, 14:57</p></div>
      ${said.map((line) => `<div class="paragraph"><p>${line}</p></div>`).join('')}</div></div><footer>Imprint</footer></body></html>`;
    const { text: out } = text(page);
    for (const line of said) expect(out).toContain(line);
    expect(out).not.toContain('Imprint');
  });

  it('drops a line pointing to another story (a short label, a colon, one link), in any language', () => {
    const page = `<html><body><article>${prose(3)}
      <p><em>Read more</em>: <a href="/looted-art">Looted colonial art: Germany sets up a new office</a></p>
      <p><em>Czytaj też: <a href="/wyscig">Wyścig zbrojeń ruszył z kopyta</a></em></p>
      ${prose(3, 'ferry')}
      <p># XXX this link does not work .. bug: <a href="/issue/48">https://example.org/issue/48</a></p>
      <p>See the <a href="/report">full report</a> for the figures.</p></article></body></html>`;
    const { text: out } = text(page);
    expect(out).toContain('Paragraph 2 about the ferry');
    expect(out).not.toContain('Looted colonial art');
    expect(out).not.toContain('Wyścig zbrojeń');
    // A sentence that ends in a link, and a link inside a sentence, are the article's.
    expect(out).toContain('this link does not work');
    expect(out).toContain('See the full report for the figures.');
  });

  it("writes text and markdown canonically composed (NFC), without ruby's readings (furigana)", () => {
    const page = `<html><body><article>${prose(3)}<p><ruby>子<rt>こ</rt></ruby>どもへの<ruby>虐待<rp>(</rp><rt>ぎゃくたい</rt><rp>)</rp></ruby>をなくすための法律ができました。</p>
      <p>Cafe\u0301 in কুষ্টি\u09dfা, a town with a long name and a longer story, of ferries, rivers, and markets.</p></article></body></html>`;
    const { text: out, markdown } = text(page);
    for (const written of [out!, markdown!]) {
      expect(written).toContain('子どもへの虐待をなくすための法律ができました。');
      expect(written).toContain('Café in কুষ্টি\u09af\u09bcা');
      expect(written).toBe(written.normalize('NFC'));
    }
  });

  it("puts the article's lead (standfirst) before it when the lead sits in the header, outside the chosen body", () => {
    const teasers = [1, 2, 3].map((i) => `<li><a href="/${i}">Other story ${i}, a long headline of a teaser</a></li>`);
    const page = `<html><head><title>Ferry back | Courier</title></head><body><div class="page"><div class="story">
      <header class="story__head"><h1>Ferry back</h1>
      <p class="story__intro">After forty years of campaigning, the river ferry runs again from Monday morning.</p></header>
      <div class="grid"><div class="story__body">${prose(4)}</div><div class="rail"><ul>${teasers.join('')}</ul></div></div>
      </div></div></body></html>`;
    const { text: out } = text(page);
    expect(out).toMatch(/^After forty years of campaigning, the river ferry runs again from Monday morning\.\n/);
    expect(out).toContain('Paragraph 3 about the river');
    expect(out).not.toContain('Other story 1');
  });

  it("drops a WordPress post's meta line, footer, ratings, share and like widgets and author box", () => {
    const page = `<html><body><article class="post hentry"><div class="entry-meta">Posted on 3 May by admin</div>
      <div class="entry-content">${prose(5)}<div class="sharedaddy sd-sharing-enabled"><h3>Teilen mit:</h3></div>
      <span class="post-ratings">Rated 4.5 by 12 readers</span></div>
      <footer class="entry-footer"><span class="cat-links">Filed under News</span></footer>
      <div class="saboxplugin-wrap"><p>About the author, who writes about rivers and ferries, and lives by the sea.</p></div>
      </article></body></html>`;
    const { text: out } = text(page);
    expect(out).toContain('Paragraph 4 about the river');
    for (const gone of ['Posted on', 'Teilen mit', 'Rated 4.5', 'Filed under', 'About the author'])
      expect(out).not.toContain(gone);
  });

  it('gives the page without its furniture when the chosen block cleans to nothing (a widget, not the article)', () => {
    // A dialog's caption outscores a download page's facts (lists, each line short); a caption is never text.
    const page = `<html><body><nav><a href="/">Home</a><a href="/downloads">Downloads</a></nav><div class="wrap">
      <section class="affiliate"><figure><figcaption>Buy the full version today, with a discount, from our partner shop, which
      sells it cheaper, faster, and with support, than anywhere else, as you may know.</figcaption></figure></section>
      <div class="facts"><dl><dt>Version</dt><dd>9.2</dd></dl><dl><dt>Licence</dt><dd>Shareware</dd></dl>
      <ul><li>Creates encrypted drives.</li><li>Has an anti-keylogger.</li></ul></div></div><footer>Imprint and privacy</footer></body></html>`;
    const { text: out } = text(page);
    expect(out).toContain('Creates encrypted drives');
    expect(out).not.toContain('Imprint and privacy');
    expect(out).not.toContain('partner shop');
  });

  it('leaves the headline out of the text (it is metadata.title) but keeps it in markdown; drops captions', () => {
    const page = `<html><head><title>Town council reopens the ferry | The Courier</title></head><body><article>
      <h1>Town council reopens the ferry</h1><figure><img src="/f.jpg" alt="ferry"><figcaption>The ferry in 1984. Photo: archive</figcaption></figure>
      ${prose(5)}<h2>What happens next</h2>${prose(2, 'boat')}</article></body></html>`;
    const { text: out, markdown } = text(page);
    expect(out).not.toContain('Town council reopens the ferry');
    expect(out).toContain('What happens next');
    expect(markdown).toMatch(/^# Town council reopens the ferry/);
    expect(markdown).not.toContain('Photo: archive');
    expect(out).not.toContain('Photo: archive');
  });
  it('drops junk named after a namespace (post-author-bio, wp-block-newsletter, editorial-disclaimer), never the article', () => {
    const page = `<html><body><article><div class="l-author-layout">${prose(5)}
      <div class="post-author-bio"><p>Jane writes about rivers and ferries, and has for twenty years, in three papers.</p></div>
      <div class="wp-block-newsletter"><p>Join our newsletter: the latest news, every morning, right to your inbox.</p></div>
      <section class="c-letters-cta"><p>We want to hear what you think about this article, so write to us.</p></section>
      <div class="editorial-disclaimer"><p>The advertising disclaimer below applies to every link on this page.</p></div>
      <div class="mollie-donation-form"><p>Your gift helps us keep reporting, independent of anyone, for everyone.</p></div>
      <p class="single__date">12.12.2022, 08:30 Uhr</p><div class="c-byline">By Jane Roe, river correspondent</div>
      </div></article></body></html>`;
    const { text: out } = text(page);
    // The wrapper names an author too, but holds the article: it stays.
    expect(out).toContain('Paragraph 4 about the river');
    for (const gone of [
      'Jane writes',
      'Join our newsletter',
      'We want to hear',
      'advertising disclaimer',
      'Your gift',
      '08:30',
      'By Jane Roe',
    ])
      expect(out).not.toContain(gone);
  });

  it("puts the page's description before the article when the header shows it (a lead with no lead's name)", () => {
    const description =
      'After forty years of campaigning, the river ferry runs again from Monday morning, twice an hour.';
    const head = `<head><title>Ferry back</title><meta name="description" content="${description}"></head>`;
    const header = `<header class="c-head"><h1>Ferry back</h1><h2 class="c-head__sub">After forty years of campaigning, the river ferry runs again from Monday morning, twice an hour.</h2></header>`;
    const rail = [1, 2, 3]
      .map((i) => `<li><a href="/${i}">Other story ${i}, a long headline of a teaser</a></li>`)
      .join('');
    const page = `<html>${head}<body><div class="page">${header}<div class="grid"><div class="body">${prose(4)}</div><ul class="rail">${rail}</ul></div></div></body></html>`;
    const { text: out } = text(page);
    expect(out).toMatch(
      /^After forty years of campaigning, the river ferry runs again from Monday morning, twice an hour\.\n/,
    );
    expect(out).toContain('Paragraph 3 about the river');
    // Already the article's first paragraph: not written twice.
    const inside = `<html>${head}<body><article><p>${description}</p>${prose(4)}</article><footer><p>${description}</p></footer></body></html>`;
    expect(text(inside).text!.split('After forty years').length).toBe(2);
    // Shown only after the article (a share box, a footer): not the lead.
    const after = `<html>${head}<body><article>${prose(4)}</article><div class="box"><p>${description}</p></div></body></html>`;
    expect(text(after).text).not.toContain('After forty years');
  });

  it('does not take a list of names and places (commas, no sentences) for prose beside the letter they sign', () => {
    const names = Array.from(
      { length: 150 },
      (_, i) => `<strong>Signer ${i}</strong>, <span>University of Town ${i}</span><br>`,
    );
    const letter = Array.from(
      { length: 6 },
      (_, i) =>
        `<p>Point ${i} of the letter: we argue, as writers, that debate matters. We refuse a false choice here.</p>`,
    );
    const page = `<html><body><article><div class="wysiwyg">${letter.join('')}<table><tbody><tr><td>${names.slice(0, 75).join('')}</td>
      <td>${names.slice(75).join('')}</td></tr><tr><td>Signed on 7 July.</td></tr></tbody></table></div></article></body></html>`;
    const { text: out } = text(page);
    expect(out).toContain('Point 0 of the letter');
    expect(out).toContain('Point 5 of the letter');
  });

  it("writes a lazy-loaded image's real source, and no embedded data: image (a placeholder or inlined bytes)", () => {
    const pixel = 'data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7';
    const page = `<html><body><article>${prose(2)}
      <img src="${pixel}" data-src="/img/ferry.jpg" alt="The ferry">
      <img src="/lazy_placeholder.gif" data-lazy-src="/img/quay.jpg" alt="The quay">
      <img srcset="/img/river-640.jpg 640w, /img/river-1280.jpg 1280w" alt="The river">
      <img src="data:image/svg+xml,%3Csvg%20xmlns='http://www.w3.org/2000/svg'%3E%3C/svg%3E" alt="">
      ${prose(2, 'boat')}</article></body></html>`;
    const { markdown, image } = text(page);
    expect(markdown).toContain('![The ferry](https://example.org/img/ferry.jpg)');
    expect(markdown).toContain('![The quay](https://example.org/img/quay.jpg)');
    expect(markdown).toContain('![The river](https://example.org/img/river-640.jpg)');
    expect(markdown).not.toContain('data:');
    expect(markdown).not.toContain('placeholder');
    // The main content's first image (metadata.image) is the real one.
    expect(image).toBe('https://example.org/img/ferry.jpg');
  });

  it("drops a picture's caption and credit named so anywhere in a class (pb-caption, image-credits, em.copyright)", () => {
    const page = `<html><body><article>${prose(2)}
      <figure><img src="/f.jpg"><span class="pb-caption">The ferry at dawn, the first crossing in forty years.</span></figure>
      <div class="rightImage"><img src="/q.jpg"><div class="legend">The quay, rebuilt in 2019 by the town.</div>
      <span class="post-image-credits">Photo Jane Roe</span><em class="copyright">Town archive</em></div>
      <div class="buzz_item no_caption">${prose(2, 'boat')}</div>
      <div class="text-caption"><p>A long block named a caption, yet it holds two paragraphs of the story, with enough words.</p>
      <p>And a second paragraph, also of the story, with commas, clauses, and words enough to count.</p></div></article></body></html>`;
    const { text: out } = text(page);
    for (const gone of ['The ferry at dawn', 'The quay, rebuilt', 'Photo Jane Roe', 'Town archive'])
      expect(out).not.toContain(gone);
    expect(out).toContain('Paragraph 1 about the boat');
    expect(out).toContain('A long block named a caption');
  });

  it('drops a label left over no prose (its teasers removed, or links only) with its links; keeps headings over prose', () => {
    const teasers = [1, 2, 3, 4].map(
      (i) => `<li><a href="/t${i}">Another story ${i}, its long teaser headline</a></li>`,
    );
    const page = `<html><body><article><h4>Biz &amp; IT —</h4><h1>The ferry is back</h1>${prose(3)}
      <h2>What happens next</h2>${prose(2, 'boat')}
      <h2>Timetable</h2><h3>Weekdays</h3><p>Every hour from six.</p>
      <h3>Pull quote: we waited forty years for this, and it shows.</h3>
      ${prose(2, 'quay')}<p><strong>Schon gelesen?</strong></p><blockquote><a href="/other">Luftwaffe trains pilots in Italy</a></blockquote>
      <p><strong>Eine häufig gestellte Frage: Fähre oder Brücke?</strong></p><h2>Tickets</h2>${prose(1, 'ticket')}
      <h3>Auch interessant:</h3><ul>${teasers.join('')}</ul>
      <p><strong>Teilnehmende Blogs:</strong></p><p><a href="/a">Blog A</a>, <a href="/b">Blog B</a></p></article></body></html>`;
    const { text: out, markdown } = text(page);
    for (const kept of [
      'What happens next',
      'Timetable',
      'Weekdays',
      'Pull quote: we waited forty years',
      'Eine häufig gestellte Frage',
      'Paragraph 0 about the ticket',
      'Paragraph 1 about the quay',
    ])
      expect(out).toContain(kept);
    // A kicker straight over the headline stays.
    expect(markdown).toContain('#### Biz & IT —');
    for (const gone of [
      'Schon gelesen',
      'Luftwaffe trains',
      'Auch interessant',
      'Another story',
      'Teilnehmende Blogs',
      'Blog A',
    ])
      expect(out).not.toContain(gone);
  });
});

describe('content bounds', () => {
  it('looks for see-also lines in bounded time, however deep or wide a line-like block is', () => {
    // Blocks without block children nested inside inline ones, each holding one link and no prose: each is a
    // candidate, and each looks at a few nodes only.
    const deep = `${'<div><span>'.repeat(240)}Read more: <a href="/x">x</a>${'</span></div>'.repeat(240)}`;
    const wide = `<div>Read more: ${'<span></span>'.repeat(50_000)}<a href="/y">y</a></div>`;
    const prose = Array.from({ length: 6 }, (_, i) => `<p>Paragraph ${i}, with enough words, commas, and clauses.</p>`);
    const started = performance.now();
    for (const block of [deep, wide]) {
      const { text } = extractContent(
        `<html><body><article>${prose.join('')}${block}</article></body></html>`,
        'https://example.org/',
        {
          markdown: false,
          text: true,
          html: false,
          onlyMainContent: true,
        },
      );
      expect(text).toContain('Paragraph 5');
    }
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('weighs sections under headings in one walk, however many headings or however deep they nest', () => {
    // Each heading a label over one link (every one dropped), and headings of every rank nested 240 deep.
    const many = Array.from(
      { length: 20_000 },
      (_, i) => `<h${(i % 6) + 1}>Label ${i}</h${(i % 6) + 1}><p><a href="/${i}">l</a></p>`,
    );
    const deep = `${'<div><h3>Deep</h3><section>'.repeat(240)}<p><a href="/z">z</a></p>${'</section></div>'.repeat(240)}`;
    const prose = Array.from(
      { length: 40 },
      (_, i) => `<p>Paragraph ${i}, with enough words, commas, and clauses.</p>`,
    );
    for (const block of [many.join(''), deep]) {
      const started = performance.now();
      const { text } = extractContent(
        `<html><body><article>${prose.join('')}<div>${block}</div></article></body></html>`,
        'https://example.org/',
        { markdown: false, text: true, html: false, onlyMainContent: true },
      );
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(text).toContain('Paragraph 39');
      expect(text).not.toContain('Label 19999');
    }
  });

  it('looks for the description in a bounded number of blocks, however many fit its length', () => {
    const description = 'A description of the page long enough to be looked for in the blocks before its article.';
    // Link blocks (no prose, no score) that fit the description's length, and one block too deep to read.
    const near = Array.from(
      { length: 20_000 },
      (_, i) => `<div><a href="/${i}">A description of the page long enough to be looked for, number ${i}.</a></div>`,
    );
    const deep = `${'<div>'.repeat(300)}${description}${'<span></span>'.repeat(5_000)}${'</div>'.repeat(300)}`;
    const prose = Array.from(
      { length: 40 },
      (_, i) => `<p>Paragraph ${i}, with enough words, commas, and clauses.</p>`,
    );
    for (const block of [near.join(''), deep]) {
      const started = performance.now();
      const { text } = extractContent(
        `<html><head><meta name="description" content="${description}"></head><body><aside>${block}</aside><div>${block}</div><article>${prose.join('')}</article></body></html>`,
        'https://example.org/',
        { markdown: false, text: true, html: false, onlyMainContent: true },
      );
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(text).toContain('Paragraph 39');
    }
  });

  it('gives a page nested past CRAWL_MAX_CONTENT_DEPTH its text only, in linear time', () => {
    // Every parser tried is quadratic in depth: 100,000 unclosed <div> took parse5 54 s.
    const html = `${'<div>'.repeat(200_000)}deep text`;
    const started = performance.now();
    const parsed = extractLinks(html, 'https://a.example/');
    const content = pageContent(html, parsed, 'https://a.example/', ['markdown', 'text'], true, limits);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(parsed.depth).toBe(200_000);
    expect(content.markdown).toBe('deep text');
    expect(content.warning).toMatch(/CRAWL_MAX_CONTENT_DEPTH \(512\): text only/);
  });

  it('checks the depth when a caller names none: the markdown writer never sees a tree past 512', () => {
    const deep = `${'<div>'.repeat(100_000)}x${'</div>'.repeat(100_000)}`;
    expect(() => extractContent(deep, 'https://a.example/', { ...all, onlyMainContent: false })).toThrow(TooDeepError);
  });

  it('counts unclosed <p> and <li> as a parser does: they close themselves', () => {
    const parsed = extractLinks(`<ul>${'<li><p>item'.repeat(5000)}</ul>`, 'https://a.example/');
    expect(parsed.depth).toBe(1);
    expect(parsed.elements).toBe(10_001);
  });

  it('converts the widest pages within the default CRAWL_MAX_CONTENT_ELEMENTS in bounded time', () => {
    // node-html-markdown (used before markdown.ts) took 36 s on a 33,000-item list; the tree walk is linear.
    for (const html of [
      `<ul>${'<li>item <b>x</b></li>'.repeat(49_990)}</ul>`,
      `<table><tr><th>a</th></tr>${'<tr><td>1</td></tr>'.repeat(49_990)}</table>`,
      '<p>x <b>y</b></p>'.repeat(49_990),
    ]) {
      const started = performance.now();
      const parsed = extractLinks(html, 'https://a.example/');
      const content = pageContent(html, parsed, 'https://a.example/', ['markdown'], true, limits);
      expect(parsed.elements).toBeLessThanOrEqual(limits.maxContentElements);
      expect(content.warning).toBeUndefined();
      expect(content.markdown!.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(49_990);
      expect(performance.now() - started).toBeLessThan(10_000);
    }
    // Wider than that: text only, at once.
    const wide = '<p>x</p>'.repeat(100_001);
    const started = performance.now();
    expect(
      pageContent(wide, extractLinks(wide, 'https://a.example/'), 'https://a.example/', ['markdown'], true, limits)
        .warning,
    ).toMatch(/CRAWL_MAX_CONTENT_ELEMENTS \(100000\)/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('weighs noscript and form prose in one walk, however many there are or however they nest', () => {
    // Each node is walked once: a noscript or form inside another goes with the outer one.
    const nested = `${'<form><noscript>'.repeat(250)}${'words of a post, '.repeat(40)}${'</noscript></form>'.repeat(250)}`;
    const wide = '<noscript><p>a short notice to readers</p></noscript><form><input name="q"></form>'.repeat(20_000);
    for (const html of [nested, wide]) {
      const started = performance.now();
      const content = pageContent(
        html,
        extractLinks(html, 'https://a.example/'),
        'https://a.example/',
        ['text'],
        true,
        limits,
      );
      expect(content.warning).toBeUndefined();
      expect(performance.now() - started).toBeLessThan(5000);
    }
  });

  it('gives a page with more than CRAWL_MAX_CONTENT_ELEMENTS elements its text only', () => {
    const html = '<p>x</p>'.repeat(50);
    const parsed = extractLinks(html, 'https://a.example/');
    const content = pageContent(html, parsed, 'https://a.example/', ['text'], true, {
      ...limits,
      maxContentElements: 10,
    });
    expect(content.warning).toMatch(/50 elements, over CRAWL_MAX_CONTENT_ELEMENTS \(10\)/);
  });

  it('cuts content at the byte cap, never inside a character, and says so', () => {
    const capped = capContent({ markdown: 'é'.repeat(10), text: 'more', links: ['https://a.example/'] }, 9);
    expect(capped.markdown).toBe('éééé');
    expect(capped.text).toBe('');
    expect(capped.links).toEqual([]);
    expect(capped.truncated).toBe(true);
    expect(capContent({ markdown: 'short' }, 9)).toEqual({ markdown: 'short' });
  });
});
