// Proves the SIPp harness and the MESSAGE scenarios: a SIPp UAC against a SIPp UAS on loopback,
// over UDP and TCP, with a multi-byte UTF-8 body whose Content-Length is counted in bytes.
import t from 'tap';
import type { Test } from 'tap';
import { sippMessageUac, sippMessageUas } from '../harness/sipp-message.ts';
import { parseSipMessage } from '../harness/sip-trace.ts';
import type { SippHandle } from '../harness/sipp.ts';

// Emoji with a modifier, CJK, a combining acute, CRLF inside the body, and characters that mean
// something to SIPp's scenario syntax or its CSV injection (';', '[', ']]>').
const BODY = 'héllo 👋🏽 中文 e\u0301\r\nsecond line ; [x] ]]> <&>';

function owned(tt: Test, h: SippHandle): SippHandle {
  tt.teardown(() => h.stop());
  return h;
}

for (const transport of ['udp', 'tcp'] as const) {
  void t.test(`${transport}: a MESSAGE answered 200 succeeds on both sides (exit 0) and arrives byte-exact (RFC 3428)`, async (tt) => {
    const uas = owned(tt, await sippMessageUas({ transport, status: 200 }));
    const uac = owned(tt, await sippMessageUac({ remote: `127.0.0.1:${uas.port}`, transport, body: BODY }));
    const [c, s] = await Promise.all([uac.done, uas.done]);
    tt.equal(c.code, 0, `UAC exit code; errors: ${c.errors}`);
    tt.equal(s.code, 0, `UAS exit code; errors: ${s.errors}`);
    tt.ok(c.ok && s.ok);
    tt.same(c.stats, { successful: 1, failed: 0 });
    tt.same(s.stats, { successful: 1, failed: 0 });

    const received = s.trace.filter((e) => e.direction === 'received').map((e) => parseSipMessage(e.bytes));
    tt.equal(received.length, 1);
    const m = received[0]!;
    tt.equal(m.method, 'MESSAGE');
    tt.equal(m.requestUri, 'sip:bob@xmpp.test');
    tt.match(m.header('From'), /^<sip:alice@corp\.test>;tag=/);
    tt.equal(m.header('To'), '<sip:bob@xmpp.test>');
    tt.equal(m.header('Content-Type'), 'text/plain;charset=UTF-8');
    tt.equal(m.header('Via')?.startsWith(`SIP/2.0/${transport.toUpperCase()} 127.0.0.1:${uac.port};branch=z9hG4bK`), true);
    tt.equal(Number(m.header('Content-Length')), Buffer.byteLength(BODY, 'utf8'), 'Content-Length counts bytes');
    tt.same(m.body, Buffer.from(BODY, 'utf8'), 'body byte-identical, no trailing CRLF');

    const answered = s.trace.filter((e) => e.direction === 'sent').map((e) => parseSipMessage(e.bytes));
    tt.equal(answered[0]?.status, 200);
  });
}

void t.test('a UAS answering 404 satisfies a UAC expecting exactly 404', async (tt) => {
  const uas = owned(tt, await sippMessageUas({ status: 404 }));
  const uac = owned(tt, await sippMessageUac({ remote: `127.0.0.1:${uas.port}`, body: 'x', expect: 404 }));
  const [c, s] = await Promise.all([uac.done, uas.done]);
  tt.equal(c.code, 0);
  tt.equal(s.code, 0);
  const answer = parseSipMessage(c.trace.find((e) => e.direction === 'received')!.bytes);
  tt.equal(answer.startLine, 'SIP/2.0 404 Not Found');
});

void t.test('a UAC expecting 403 fails (exit 1) when it gets 503', async (tt) => {
  const uas = owned(tt, await sippMessageUas({ status: 503 }));
  const uac = owned(tt, await sippMessageUac({ remote: `127.0.0.1:${uas.port}`, body: 'x', expect: 403 }));
  const c = await uac.done;
  tt.equal(c.code, 1);
  tt.same(c.stats, { successful: 0, failed: 1 });
  tt.match(c.errors, /unexpected message/);
});

void t.test('a UAS handles several MESSAGEs (-m) and stop() removes its directory', async (tt) => {
  const uas = owned(tt, await sippMessageUas({ transport: 'tcp', status: 202, calls: 3 }));
  for (const n of [1, 2, 3]) {
    const uac = owned(tt, await sippMessageUac({ remote: `127.0.0.1:${uas.port}`, transport: 'tcp', body: `n° ${n}` }));
    tt.equal((await uac.done).code, 0);
  }
  const s = await uas.done;
  tt.equal(s.code, 0);
  tt.same(
    s.trace.filter((e) => e.direction === 'received').map((e) => parseSipMessage(e.bytes).body.toString('utf8')),
    ['n° 1', 'n° 2', 'n° 3'],
  );
  const { existsSync } = await import('node:fs');
  await uas.stop();
  tt.notOk(existsSync(uas.dir));
});

void t.test('stop() ends a SIPp that is still waiting; SIPp exits 0 on SIGTERM, so ok is false', async (tt) => {
  const uas = owned(tt, await sippMessageUas({ status: 200 }));
  const r = await uas.stop();
  tt.equal(r.ok, false);
  tt.equal(r.stats?.successful ?? 0, 0);
  const again = owned(tt, await sippMessageUas({ status: 200, port: uas.port }));
  tt.equal(again.port, uas.port, 'the port is free again');
});
