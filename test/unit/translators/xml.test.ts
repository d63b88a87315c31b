import t from 'tap';
import { child, children, el, isElement, text } from '../../../translators/xml.ts';

void t.test('el() drops undefined attributes and absent children', (t) => {
  t.same(el('a', { x: '1', y: undefined }, 'hi', undefined, null, false, el('b')), { name: 'a', attrs: { x: '1' }, children: ['hi', { name: 'b', attrs: {}, children: [] }] });
  t.same(el('a'), { name: 'a', attrs: {}, children: [] });
  t.end();
});

void t.test('child() and children() find elements by name and, when given, namespace', (t) => {
  const e = el('m', {}, 'text', el('b', { xmlns: 'x' }, '1'), el('b', {}, '2'), el('c'));
  t.equal(child(e, 'b')?.children[0], '1');
  t.equal(child(e, 'b', 'y'), undefined);
  t.equal(child(e, 'b', 'x')?.children[0], '1');
  t.equal(children(e, 'b').length, 2);
  t.equal(children(e, 'b', 'x').length, 1);
  t.end();
});

void t.test('text() concatenates direct text children only', (t) => {
  t.equal(text(el('a', {}, 'x', el('b', {}, 'no'), 'y')), 'xy');
  t.end();
});

void t.test('isElement() tells elements from text', (t) => {
  t.ok(isElement(el('a')));
  t.notOk(isElement('a'));
  t.end();
});
