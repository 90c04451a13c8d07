import { describe, expect, it } from 'vitest';
import { type Embeddable, embedCode } from './embed.ts';

const links = {
  original: 'http://h/image/AbCd1234',
  big: 'http://h/image/AbCd1234/big',
  medium: 'http://h/image/AbCd1234/medium',
  small: 'http://h/image/AbCd1234/small',
  tiny: 'http://h/image/AbCd1234/tiny',
};

describe('embed codes', () => {
  const measured: Embeddable = {
    name: 'Holiday "best" <1>.jpg',
    links,
    dimensions: {
      big: { width: 1024, height: 683 },
      medium: { width: 512, height: 341 },
      small: { width: 256, height: 171 },
      tiny: { width: 128, height: 85 },
    },
  };

  it('gives the direct link, Markdown and BBCode linking the big size to the original', () => {
    expect(embedCode('url', measured)).toBe(links.original);
    expect(embedCode('markdown', { ...measured, name: 'a [b].png' })).toBe(`[![a \\[b\\]](${links.big})](${links.original})`);
    expect(embedCode('bbcode', measured)).toBe(`[url=${links.original}][img]${links.big}[/img][/url]`);
  });

  it('gives an <img> with a srcset over the four sizes, their real widths and escaped alt text', () => {
    expect(embedCode('html', measured)).toBe(
      `<img src="${links.big}" srcset="${links.tiny} 128w, ${links.small} 256w, ${links.medium} 512w, ${links.big} 1024w" ` +
        'sizes="(max-width: 1024px) 100vw, 1024px" width="1024" height="683" alt="Holiday &quot;best&quot; &lt;1&gt;">',
    );
  });

  it('keeps one candidate per width when the image is smaller than the larger boxes', () => {
    const small: Embeddable = {
      name: 'icon.png',
      links,
      dimensions: {
        big: { width: 300, height: 200 },
        medium: { width: 300, height: 200 },
        small: { width: 256, height: 171 },
        tiny: { width: 128, height: 85 },
      },
    };
    expect(embedCode('html', small)).toContain(`srcset="${links.tiny} 128w, ${links.small} 256w, ${links.medium} 300w"`);
    expect(embedCode('html', small)).toContain('sizes="(max-width: 300px) 100vw, 300px" width="300" height="200"');
  });

  it('falls back to the size boxes before the sizes were measured', () => {
    expect(embedCode('html', { name: 'x.jpg', links })).toBe(
      `<img src="${links.big}" srcset="${links.tiny} 128w, ${links.small} 256w, ${links.medium} 512w, ${links.big} 1024w" ` +
        'sizes="(max-width: 1024px) 100vw, 1024px" alt="x">',
    );
  });
});
