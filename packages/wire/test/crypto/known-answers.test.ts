// Known-answer tests for the primitives the TWAMP crypto is built from, with the vectors typed in
// from the documents that define them. They pin down that node:crypto is used with the right
// algorithm names, key sizes and truncation, and they run the vectors through our own API wherever
// the API reaches the primitive unchanged.
import { createCipheriv, createDecipheriv, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deriveKey } from '../../src/crypto/kdf.js';
import { stampTlvHmac } from '../../src/crypto/stamp-hmac.js';
import { deriveTestKeys } from '../../src/crypto/test-keys.js';
import { TestPacketCrypto } from '../../src/crypto/test-packet-crypto.js';
import { encryptToken } from '../../src/crypto/token.js';
import { hex } from './helpers.js';

describe('PBKDF2-HMAC-SHA1, RFC 6070 §2', () => {
  // Vector 4 (c = 16777216) is left out: it takes longer than this file's time budget.
  const vectors = [
    { p: 'password', s: 'salt', c: 1, dk: '0c60c80f961f0e71f3a9b524af6012062fe037a6' },
    { p: 'password', s: 'salt', c: 2, dk: 'ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957' },
    { p: 'password', s: 'salt', c: 4096, dk: '4b007901b765489abead49d926f721d065a429c1' },
    {
      p: 'passwordPASSWORDpassword',
      s: 'saltSALTsaltSALTsaltSALTsaltSALTsalt',
      c: 4096,
      dk: '3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038',
    },
    { p: 'pass\0word', s: 'sa\0lt', c: 4096, dk: '56fa6aa75548099dcc37d7f03425e0c3' },
  ] as const;

  it.each(vectors)('node:crypto gives the printed DK for c = $c, dkLen = len(DK)', ({ p, s, c, dk }) => {
    const expected = hex(dk);
    expect(pbkdf2Sync(p, s, c, expected.length, 'sha1').toString('hex')).toBe(dk);
  });

  it.each(vectors)('deriveKey gives the first 16 octets of the printed DK for c = $c', ({ p, s, c, dk }) => {
    // PBKDF2's first output block does not depend on dkLen, so the 16-octet key TWAMP uses is
    // the prefix of each vector.
    expect(deriveKey(p, Buffer.from(s, 'latin1'), c).toString('hex')).toBe(dk.slice(0, 32));
    expect(deriveKey(Buffer.from(p, 'latin1'), Buffer.from(s, 'latin1'), c).toString('hex')).toBe(dk.slice(0, 32));
  });
});

describe('AES-128, FIPS-197', () => {
  const appendixB = {
    key: '2b7e151628aed2a6abf7158809cf4f3c',
    input: '3243f6a8885a308d313198a2e0370734',
    output: '3925841d02dc09fbdc118597196a0b32',
  };
  const appendixC1 = {
    key: '000102030405060708090a0b0c0d0e0f',
    input: '00112233445566778899aabbccddeeff',
    output: '69c4e0d86a7b0430d8cdb78070b4c55a',
  };

  it.each([
    ['Appendix B', appendixB],
    ['Appendix C.1', appendixC1],
  ])('%s: encrypts and decrypts one block', (_name, v) => {
    const cipher = createCipheriv('aes-128-ecb', hex(v.key), null);
    cipher.setAutoPadding(false);
    expect(Buffer.concat([cipher.update(hex(v.input)), cipher.final()]).toString('hex')).toBe(v.output);
    const decipher = createDecipheriv('aes-128-ecb', hex(v.key), null);
    decipher.setAutoPadding(false);
    expect(Buffer.concat([decipher.update(hex(v.output)), decipher.final()]).toString('hex')).toBe(v.input);
  });

  it('Appendix C.1 through deriveTestKeys: testAESkey = AES-ECB(key = SID, AES Session-key)', () => {
    const keys = deriveTestKeys({ aesKey: hex(appendixC1.input), hmacKey: Buffer.alloc(32) }, hex(appendixC1.key));
    expect(keys.aesKey.toString('hex')).toBe(appendixC1.output);
  });

  it('Appendix C.1 through encryptToken: the first Token block is ECB of the Challenge (IV = 0)', () => {
    const token = encryptToken(hex(appendixC1.key), hex(appendixC1.input), {
      aesKey: Buffer.alloc(16),
      hmacKey: Buffer.alloc(32),
    });
    expect(token.subarray(0, 16).toString('hex')).toBe(appendixC1.output);
  });

  it.each(['authenticated', 'encrypted'] as const)('Appendix B through a %s test packet: block 0 is the cipher output', (protection) => {
    const crypto = new TestPacketCrypto({ aesKey: hex(appendixB.key), hmacKey: Buffer.alloc(32, 1) }, protection);
    const packet = Buffer.alloc(48);
    hex(appendixB.input).copy(packet, 0);
    crypto.protect(packet, 'sender');
    expect(packet.subarray(0, 16).toString('hex')).toBe(appendixB.output);
  });
});

describe('HMAC-SHA1, RFC 2202 §3', () => {
  const cases = [
    { n: 1, key: Buffer.alloc(20, 0x0b), data: Buffer.from('Hi There'), digest: 'b617318655057264e28bc0b6fb378c8ef146be00' },
    { n: 2, key: Buffer.from('Jefe'), data: Buffer.from('what do ya want for nothing?'), digest: 'effcdf6ae5eb2fa2d27416d5f184df9c259a7c79' },
    { n: 3, key: Buffer.alloc(20, 0xaa), data: Buffer.alloc(50, 0xdd), digest: '125d7342b9ac11cd91a39af48aa17b4f63f175d3' },
    {
      n: 4,
      key: hex('0102030405060708090a0b0c0d0e0f10111213141516171819'),
      data: Buffer.alloc(50, 0xcd),
      digest: '4c9007f4026250c6bc8414f9bf50c86c2d7235da',
    },
    { n: 5, key: Buffer.alloc(20, 0x0c), data: Buffer.from('Test With Truncation'), digest: '4c1a03424b55e07fe7f27be1d58bb9324a9a5a04' },
    {
      n: 6,
      key: Buffer.alloc(80, 0xaa),
      data: Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First'),
      digest: 'aa4ae5e15272d00e95705637ce8a3b55ed402112',
    },
    {
      n: 7,
      key: Buffer.alloc(80, 0xaa),
      data: Buffer.from('Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data'),
      digest: 'e8e99d0f45237d786d6bbaa7965c7808bbff1a91',
    },
  ];

  it.each(cases)('test case $n', ({ key, data, digest }) => {
    expect(createHmac('sha1', key).update(data).digest('hex')).toBe(digest);
  });

  it('test case 5 truncated to 96 bits keeps the leftmost octets, as TWAMP keeps the leftmost 128', () => {
    const full = createHmac('sha1', Buffer.alloc(20, 0x0c)).update('Test With Truncation').digest();
    expect(full.subarray(0, 12).toString('hex')).toBe('4c1a03424b55e07fe7f27be1');
  });
});

describe('HMAC-SHA-256, RFC 4231 §4', () => {
  const cases = [
    {
      n: 1,
      key: Buffer.alloc(20, 0x0b),
      data: Buffer.from('Hi There'),
      digest: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7',
    },
    {
      n: 2,
      key: Buffer.from('Jefe'),
      data: Buffer.from('what do ya want for nothing?'),
      digest: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    },
    {
      n: 3,
      key: Buffer.alloc(20, 0xaa),
      data: Buffer.alloc(50, 0xdd),
      digest: '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe',
    },
    {
      n: 4,
      key: hex('0102030405060708090a0b0c0d0e0f10111213141516171819'),
      data: Buffer.alloc(50, 0xcd),
      digest: '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b',
    },
    {
      n: 6,
      key: Buffer.alloc(131, 0xaa),
      data: Buffer.from('Test Using Larger Than Block-Size Key - Hash Key First'),
      digest: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    },
    {
      n: 7,
      key: Buffer.alloc(131, 0xaa),
      data: Buffer.from(
        'This is a test using a larger than block-size key and a larger than block-size data. ' +
          'The key needs to be hashed before being used by the HMAC algorithm.',
      ),
      digest: '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
    },
  ];

  it.each(cases)('test case $n', ({ key, data, digest }) => {
    expect(createHmac('sha256', key).update(data).digest('hex')).toBe(digest);
  });

  it('test case 5: output truncated to 128 bits', () => {
    const full = createHmac('sha256', Buffer.alloc(20, 0x0c)).update('Test With Truncation').digest();
    expect(full.subarray(0, 16).toString('hex')).toBe('a3b6167473100ee06e0c796c2955552b');
  });

  it('test case 5 through stampTlvHmac: "Test" as Sequence Number, the rest as the preceding TLVs', () => {
    // Octets 0-3 and 44-59 are exactly the 20 octets of the vector; 4-43 (the rest of an
    // unauthenticated base packet) must not be covered.
    const packet = Buffer.alloc(76, 0xee);
    packet.write('Test', 0, 'latin1');
    packet.write(' With Truncation', 44, 'latin1');
    const value = stampTlvHmac(Buffer.alloc(20, 0x0c), packet, { start: 44, end: 60 });
    expect(value.toString('hex')).toBe('a3b6167473100ee06e0c796c2955552b');
  });

  it('test case 2 through stampTlvHmac, truncated to its first 16 octets', () => {
    const packet = Buffer.alloc(44 + 24 + 20);
    packet.write('what', 0, 'latin1');
    packet.write(' do ya want for nothing?', 44, 'latin1');
    const value = stampTlvHmac(Buffer.from('Jefe'), packet, { start: 44, end: 68 });
    expect(value.toString('hex')).toBe('5bdcc146bf60754e6a042426089575c7');
  });
});
