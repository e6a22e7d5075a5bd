import { describe, expect, it } from 'vitest';
import { identityHash, matchKeys, normalizeEmail, prospectName, verifyIdentity } from './match.js';

const SECRET = 'site-secret-0123456789';

describe('verifyIdentity', () => {
  const good = identityHash('cust-42', SECRET);

  it('accepts the hex HMAC-SHA256 of the user id with the site secret, in either case', () => {
    // Known answer, so the scheme site owners implement cannot drift: HMAC-SHA256("cust-42", secret), hex.
    expect(good).toBe('e1acdebbfa83a20390ef621bb0c9796f136d64c4352b031ff04abfd860d937b9');
    expect(verifyIdentity('cust-42', good, SECRET)).toBe(true);
    expect(verifyIdentity('cust-42', good.toUpperCase(), SECRET)).toBe(true);
  });

  it('refuses another user id, another secret, a flipped digit and malformed hashes', () => {
    expect(verifyIdentity('cust-43', good, SECRET)).toBe(false);
    expect(verifyIdentity('cust-42', good, 'other-secret')).toBe(false);
    const flipped = (good[0] === '0' ? '1' : '0') + good.slice(1);
    expect(verifyIdentity('cust-42', flipped, SECRET)).toBe(false);
    for (const bad of ['', good.slice(0, 63), `${good}0`, 'z'.repeat(64), identityHash('cust-42', '')]) {
      expect(verifyIdentity('cust-42', bad, SECRET), bad).toBe(false);
    }
    expect(verifyIdentity('', identityHash('', SECRET), SECRET)).toBe(false);
    expect(verifyIdentity('cust-42', identityHash('cust-42', ''), '')).toBe(false);
  });
});

describe('matchKeys', () => {
  it('finds name, e-mail and phone by the questionnaire kinds, normalized', () => {
    const keys = matchKeys(
      { full: ' Nguyễn Văn An ', mail: ' An.Nguyen@Example.VN ', tel: '0912 345 678' },
      'VN',
      [
        { name: 'full', kind: 'name' },
        { name: 'mail', kind: 'email' },
        { name: 'tel', kind: 'phone' },
      ],
    );
    expect(keys).toEqual({ name: 'Nguyễn Văn An', email: 'an.nguyen@example.vn', phone: '+84912345678' });
  });

  it('falls back to the conventional field names and skips invalid values', () => {
    expect(matchKeys({ name: 'Bence', email: 'not an address', phone: '06 30 123 4567' }, 'HU')).toEqual({
      name: 'Bence',
      email: null,
      phone: '+36301234567',
    });
    expect(matchKeys({ name: '  ', phone: 'call me' }, 'HU')).toEqual({
      name: null,
      email: null,
      phone: null,
    });
  });

  it('names a prospect after what is known', () => {
    expect(prospectName({ name: null, email: 'a@b.co', phone: null })).toBe('a@b.co');
    expect(prospectName({ name: null, email: null, phone: '+36301234567' })).toBe('+36301234567');
    expect(prospectName({ name: null, email: null, phone: null }, 'cust-1')).toBe('Customer cust-1');
    expect(prospectName({ name: null, email: null, phone: null })).toBe('Visitor');
  });

  it('lower-cases e-mail addresses and refuses non-addresses', () => {
    expect(normalizeEmail(' Amira@Shop.AE ')).toBe('amira@shop.ae');
    expect(normalizeEmail('amira@')).toBeNull();
  });
});
