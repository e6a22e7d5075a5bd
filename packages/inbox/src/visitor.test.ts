import type { Client, ContactSummary } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { describeAgent } from './agent.js';
import {
  clientDraft,
  contactPoints,
  initials,
  missingPoints,
  safePhoto,
  safeUrl,
  timeIn,
} from './visitor.js';

const client: Client = {
  id: '40000000-0000-4000-8000-000000000001',
  externalId: null,
  name: 'Ada Lovelace',
  company: null,
  category: 'vip',
  note: null,
  photoUrl: null,
  city: null,
  country: null,
  responsibleId: null,
  phones: ['+36201234567'],
  emails: ['ada@example.com'],
  orders: [],
  createdAt: '2025-01-01T00:00:00.000Z',
};

describe('the visitor panel helpers', () => {
  it('tells the time in the visitor’s zone', () => {
    const at = Date.parse('2025-01-15T23:30:00.000Z');
    expect(timeIn('Asia/Tokyo', at)).toBe('08:30');
    expect(timeIn('America/New_York', at)).toBe('18:30');
    expect(timeIn('UTC', at)).toBe('23:30');
    expect(timeIn('Not/AZone', at)).toBeNull();
  });

  it('finds e-mails and phones among answers whatever their field names', () => {
    expect(
      contactPoints({ name: 'Ada', mail: 'ada@example.com', tel: '+36 20 123 4567', note: 'hi' }),
    ).toEqual({
      emails: ['ada@example.com'],
      phones: ['+36 20 123 4567'],
    });
  });

  it('offers to add only what the client does not have (phones matched on their last digits)', () => {
    expect(missingPoints({ email: 'ADA@example.com', phone: '20 123 4567' }, client)).toEqual({
      emails: [],
      phones: [],
    });
    expect(missingPoints({ email: 'ada@work.example', phone: '+44 20 7946 0958' }, client)).toEqual({
      emails: ['ada@work.example'],
      phones: ['+44 20 7946 0958'],
    });
  });

  it('prefills a new client from the answers', () => {
    const c = {
      visitorName: 'Visitor 7',
      answers: {
        name: ' Ada Lovelace ',
        email: 'ada@example.com',
        phone: '+36 20 123 4567',
        company: 'Engines',
      },
    } as unknown as ContactSummary;
    expect(clientDraft(c)).toEqual({
      name: 'Ada Lovelace',
      company: 'Engines',
      emails: ['ada@example.com'],
      phones: ['+36 20 123 4567'],
    });
    expect(clientDraft({ visitorName: 'Visitor 7', answers: {} } as unknown as ContactSummary)).toEqual({
      name: 'Visitor 7',
    });
  });

  it('draws initials for a missing photo and links only http(s) URLs', () => {
    expect(initials('Ada King Lovelace')).toBe('AL');
    expect(initials('ada')).toBe('A');
    expect(initials('  ')).toBe('?');
    expect(safeUrl('https://shop.example/a')).toBe(true);
    expect(safeUrl('javascript:alert(1)')).toBe(false);
    expect(safeUrl(null)).toBe(false);
    expect(safePhoto('data:image/png;base64,AAAA')).toBe(true);
    expect(safePhoto('https://cdn.example/p.jpg')).toBe(true);
    expect(safePhoto('data:text/html,<script>')).toBe(false);
    expect(safePhoto(null)).toBe(false);
  });

  it('names browser, OS and device from the User-Agent', () => {
    expect(
      describeAgent(
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
      ),
    ).toEqual({ browser: 'Chrome 120', os: 'Windows 10', deviceType: 'desktop', device: null });
    expect(
      describeAgent(
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
      ),
    ).toMatchObject({
      browser: 'Mobile Safari 17',
      os: 'iOS 17.1',
      deviceType: 'mobile',
      device: 'Apple iPhone',
    });
    expect(describeAgent(null)).toBeNull();
  });
});
