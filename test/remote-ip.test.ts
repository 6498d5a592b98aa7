import t from 'tap';
import { peerHost, remoteIp, splitHostPort } from '../src/otlp/remote-ip.js';

t.test("splitHostPort mirrors Go's net.SplitHostPort (its own test tables plus unvalidated hosts)", async (t) => {
  const ok: Array<[string, string, string]> = [
    ['www.google.com:80', 'www.google.com', '80'],
    ['127.0.0.1:1234', '127.0.0.1', '1234'],
    ['[::1]:80', '::1', '80'],
    ['[fe80::1%lo0]:80', 'fe80::1%lo0', '80'],
    ['[localhost%lo0]:80', 'localhost%lo0', '80'],
    [':0', '', '0'],
    ['google.com:https%foo', 'google.com', 'https%foo'],
    ['127.0.0.1:', '127.0.0.1', ''],
    // Neither part is validated: a leading space stays in the host (datakit §3.7), garbage is a "host" too.
    [' 1.2.3.4:80', ' 1.2.3.4', '80'],
    ['not an ip:x', 'not an ip', 'x'],
    ['[]:1', '', '1'],
  ];
  for (const [input, host, port] of ok) t.same(splitHostPort(input), { host, port }, JSON.stringify(input));

  const failures: Array<[string, string]> = [
    ['golang.org', 'missing port in address'],
    ['127.0.0.1', 'missing port in address'],
    ['[::1]', 'missing port in address'],
    ['[fe80::1%lo0]', 'missing port in address'],
    ['[localhost%lo0]', 'missing port in address'],
    ['localhost%lo0', 'missing port in address'],
    ['::1', 'too many colons in address'],
    ['fe80::1%lo0', 'too many colons in address'],
    ['fe80::1%lo0:80', 'too many colons in address'],
    ['[foo:bar]', 'missing port in address'],
    ['[foo:bar]baz', 'missing port in address'],
    ['[foo]bar:baz', 'missing port in address'],
    ['[foo]:[bar]:baz', 'too many colons in address'],
    ['[foo]:[bar]baz', "unexpected '[' in address"],
    ['foo[bar]:baz', "unexpected '[' in address"],
    ['foo]bar:baz', "unexpected ']' in address"],
    ['[::1:80', "missing ']' in address"],
    ['', 'missing port in address'],
  ];
  for (const [input, error] of failures) t.same(splitHostPort(input), { error }, JSON.stringify(input));
});

t.test('remote_ip from forwarded headers, in DataKit order (datakit §3.7, Q43)', async (t) => {
  const peer = '10.0.0.9';
  const cases: Array<[string, Record<string, string[]>, string]> = [
    ['no headers: the peer', {}, peer],
    ['host:port in X-Forwarded-For', { 'x-forwarded-for': ['1.2.3.4:5678'] }, '1.2.3.4'],
    ['the first qualifying piece wins', { 'x-forwarded-for': ['1.2.3.4:1,5.6.7.8:2'] }, '1.2.3.4'],
    ['bare IPs are skipped, pieces are not trimmed', { 'x-forwarded-for': ['1.2.3.4, 5.6.7.8:80'] }, ' 5.6.7.8'],
    ['bracketed IPv6', { 'x-forwarded-for': ['[2001:db8::1]:443'] }, '2001:db8::1'],
    ['bare IPv6 is skipped', { 'x-forwarded-for': ['2001:db8::1'] }, peer],
    ['an empty host is skipped', { 'x-forwarded-for': [':80'] }, peer],
    ['X-Real-IP when X-Forwarded-For has no host:port', { 'x-forwarded-for': ['1.2.3.4'], 'x-real-ip': ['9.9.9.9:1'] }, '9.9.9.9'],
    ['X-Forwarded-For before X-Real-IP', { 'x-forwarded-for': ['1.1.1.1:1'], 'x-real-ip': ['9.9.9.9:1'] }, '1.1.1.1'],
    ['Proxy-Client-IP last', { 'x-real-ip': ['9.9.9.9'], 'proxy-client-ip': ['8.8.8.8:53'] }, '8.8.8.8'],
    // Go's Header.Get reads only the first line of a repeated header.
    ['only the first line of a header', { 'x-forwarded-for': ['1.2.3.4', '5.6.7.8:9'] }, peer],
    ['anything that splits is taken', { 'x-real-ip': ['unknown:0'] }, 'unknown'],
  ];
  for (const [name, headers, expected] of cases) t.equal(remoteIp(headers, peer), expected, name);
});

t.test('the socket peer is reported as Go would (datakit §3.7 step 2)', async (t) => {
  t.equal(peerHost('::ffff:127.0.0.1'), '127.0.0.1');
  t.equal(peerHost('::FFFF:192.168.1.20'), '192.168.1.20');
  t.equal(peerHost('127.0.0.1'), '127.0.0.1');
  t.equal(peerHost('::1'), '::1');
  t.equal(peerHost('::ffff:abcd'), '::ffff:abcd');
  t.equal(peerHost(undefined), '');
  t.equal(remoteIp({}, '::ffff:10.1.2.3'), '10.1.2.3');
});
