import assert from 'node:assert/strict';
import fc from 'fast-check';
import { classifyAddress, isPublicAddress, refusedLiteral, refusedTarget } from '../../src/net/index.js';

/** [address, expected range (prefix)] for every form that must be refused. */
const REFUSED: Array<[string, RegExp]> = [
  // IPv4
  ['0.0.0.0', /unspecified/], ['0.1.2.3', /unspecified/], ['127.0.0.1', /loopback/], ['127.255.255.254', /loopback/],
  ['10.0.0.1', /private/], ['172.16.0.1', /private/], ['172.31.255.255', /private/], ['192.168.1.1', /private/],
  ['169.254.169.254', /linkLocal/], ['100.64.0.1', /carrierGradeNat/], ['192.0.0.8', /reserved/], ['192.0.2.1', /reserved/],
  ['198.18.0.1', /reserved/], ['198.51.100.7', /reserved/], ['203.0.113.9', /reserved/], ['224.0.0.1', /multicast/],
  ['239.255.255.250', /multicast/], ['240.0.0.1', /reserved/], ['255.255.255.255', /broadcast/],
  // IPv6 of its own
  ['::', /unspecified/], ['::1', /loopback/], ['fe80::1', /linkLocal/], ['fe80::1%eth0', /linkLocal/], ['fc00::1', /uniqueLocal/],
  ['fd12:3456::1', /uniqueLocal/], ['ff02::1', /multicast/], ['fec0::1', /SiteLocal/i], ['2001:db8::1', /reserved/], ['100::1', /discard/],
  // IPv4 inside IPv6: judged by the IPv4 they lead to
  ['::ffff:127.0.0.1', /ipv4Mapped→loopback/], ['::ffff:7f00:1', /ipv4Mapped→loopback/], ['::ffff:10.0.0.1', /ipv4Mapped→private/],
  ['::ffff:169.254.169.254', /ipv4Mapped→linkLocal/], ['::ffff:0:10.1.1.1', /rfc6145→private/],
  ['::7f00:1', /ipv4Compatible/], ['::127.0.0.1', /ipv4Compatible/], ['::a00:1', /ipv4Compatible/], ['::8.8.8.8', /ipv4Compatible/],
  ['64:ff9b::7f00:1', /nat64→loopback/], ['64:ff9b::127.0.0.1', /nat64→loopback/], ['64:ff9b::a9fe:a9fe', /nat64→linkLocal/],
  ['64:ff9b::192.168.0.1', /nat64→private/], ['64:ff9b:1::8.8.8.8', /local-use NAT64/],
  ['2002:7f00:1::', /6to4→loopback/], ['2002:c0a8:101::1', /6to4→private/], ['2002:a9fe:a9fe::', /6to4→linkLocal/],
  // Teredo: server 65.54.227.120 (public); the client 127.0.0.1 is stored inverted (80ff:fffe).
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', /teredo client→loopback/],
  ['2001:0:7f00:1:8000:63bf:3fff:fdd2', /teredo server→loopback/],
];

const ALLOWED = ['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '192.169.0.1', '100.128.0.1', '2606:4700:4700::1111',
  '2a00:1450:4001:82b::200e', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1', '2001:0:4136:e378:8000:63bf:f7f7:f7f7',
  '192.175.48.1' /* AS112: public anycast */];

describe('net: which addresses the bridge may connect to for outsiders', () => {
  it('refuses every private, local and special form, naming its range', () => {
    for (const [address, range] of REFUSED) {
      const judged = classifyAddress(address);
      assert.equal(judged.public, false, `${address} must be refused (${judged.range})`);
      assert.match(judged.range, range, address);
    }
  });

  it('allows public unicast, also written as IPv4-mapped, NAT64, 6to4 or Teredo', () => {
    for (const address of ALLOWED) assert.equal(isPublicAddress(address), true, `${address} is public (${classifyAddress(address).range})`);
  });

  it('refuses anything that is not an IP address', () => {
    for (const text of ['', 'localhost', 'example.org', '1.2.3.4.5', '::g', '[::1', '999.1.1.1']) {
      assert.equal(isPublicAddress(text), false, JSON.stringify(text));
    }
  });

  it('judges every IPv4 address the same whether written plainly, mapped, or through NAT64', () => {
    fc.assert(fc.property(fc.ipV4(), (v4) => {
      const plain = isPublicAddress(v4);
      assert.equal(isPublicAddress(`::ffff:${v4}`), plain, `::ffff:${v4}`);
      assert.equal(isPublicAddress(`64:ff9b::${v4}`), plain, `64:ff9b::${v4}`);
      assert.equal(isPublicAddress(`::${v4}`), false, 'IPv4-compatible is never public');
    }), { numRuns: 2000 });
  });

  it('judges IP literals in URLs (bracketed IPv6, shorthand and hex IPv4) without a lookup', async () => {
    for (const url of ['http://127.1/', 'http://0x7f.0.0.1/', 'http://2130706433/', 'http://[::ffff:7f00:1]/', 'http://[64:ff9b::7f00:1]/',
      'http://[::7f00:1]:8080/', 'http://[fe80::1]/', 'http://0/']) {
      assert.match(String(await refusedTarget(url, false)), /private or local address/, url);
      assert.equal(await refusedTarget(url, true), undefined, `${url} allowed by the operator`);
    }
    assert.equal(refusedLiteral('[2606:4700:4700::1111]'), undefined);
    assert.equal(refusedLiteral('example.org'), undefined, 'names are judged by the lookup, not here');
    assert.equal(await refusedTarget('not a url', false), 'it is not a URL');
  });
});
