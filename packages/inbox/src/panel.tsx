/**
 * The visitor panel beside a conversation: answers, where and on what they browse, their local
 * time, the matched client's card with open orders, earlier conversations, and the client actions.
 */
import type { Client, ContactDetails, ContactSummary } from '@parley/protocol';
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Agent } from './agent.js';
import * as ctl from './controller.js';
import { clock } from './format.js';
import { useNow } from './hooks.js';
import { channelKey, type Key, money, statusKey, t, tf } from './i18n.js';
import type { State } from './store.js';
import { clientDraft, initials, missingPoints, safePhoto, safeUrl, timeIn } from './visitor.js';

/** The parser loads on first use, in its own chunk; until then the panel shows the rest. */
function useAgent(ua: string | null): Agent | null {
  const [agent, setAgent] = useState<Agent | null>(null);
  useEffect(() => {
    setAgent(null);
    if (!ua) return;
    let live = true;
    import('./agent.js')
      .then(({ describeAgent }) => {
        if (live) setAgent(describeAgent(ua));
      })
      .catch(() => {}); // a failed chunk load: the panel simply shows no browser line
    return () => {
      live = false;
    };
  }, [ua]);
  return agent;
}

function Field({ name, label, children }: { name: string; label: string; children: ComponentChildren }) {
  return (
    <div data-field={name}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function Page({ url, title }: { url: string | null; title?: string | null }) {
  if (!url) return <>{title || t('never')}</>;
  return (
    <>
      {title && <span class="page-title">{title}</span>}
      {safeUrl(url) ? (
        <a class="url" dir="ltr" href={url} target="_blank" rel="noopener noreferrer">
          {url}
        </a>
      ) : (
        <span class="url" dir="ltr">
          {url}
        </span>
      )}
    </>
  );
}

const deviceLabel = (type: string): string =>
  ['desktop', 'mobile', 'tablet'].includes(type) ? t(`dev_${type}` as Key) : type;

export function VisitorPanel({ state, contact: c }: { state: State; contact: ContactSummary }) {
  const d: ContactDetails | undefined = state.details[c.id];
  const answers = Object.entries(c.answers ?? {});
  const agent = useAgent(d?.userAgent ?? null);
  const now = useNow(!!d?.timeZone);
  const local = d?.timeZone ? timeIn(d.timeZone, now) : null;
  const startUrl = d ? d.startPage.url : c.pageUrl;
  const current = d?.currentPage;
  const movedOn = !!current?.url && current.url !== startUrl;
  const seenAt = d?.contact.visitorLastSeenAt ?? c.visitorLastSeenAt;
  return (
    // Two landmarks: who the visitor is (their own words and browser) and the client on file.
    <div class="side">
      <aside aria-label={t('visitor')}>
        {answers.length > 0 && (
          <>
            <h3>{t('answers')}</h3>
            <dl class="answers">
              {answers.map(([k, v]) => (
                <div key={k} data-answer={k}>
                  <dt>{k}</dt>
                  <dd>{v}</dd>
                </div>
              ))}
            </dl>
          </>
        )}
        <h3>{t('visitor')}</h3>
        <dl>
          {d?.ip && (
            <Field name="ip" label={t('ip')}>
              <span dir="ltr">{d.ip}</span>
            </Field>
          )}
          {agent?.browser && (
            <Field name="browser" label={t('browser')}>
              {agent.browser}
            </Field>
          )}
          {agent?.os && (
            <Field name="os" label={t('os')}>
              {agent.os}
            </Field>
          )}
          {agent && (
            <Field name="device" label={t('device')}>
              {deviceLabel(agent.deviceType)}
              {agent.device ? ` · ${agent.device}` : ''}
            </Field>
          )}
          {local && d?.timeZone && (
            <Field name="local-time" label={t('localTime')}>
              <span class="clock">{local}</span> <span class="tz">({d.timeZone})</span>
            </Field>
          )}
          {d?.locale && (
            <Field name="locale" label={t('visitorLanguage')}>
              {d.locale}
            </Field>
          )}
          <Field name="start-page" label={t('startPage')}>
            <Page url={startUrl} title={d?.startPage.title} />
          </Field>
          {movedOn && current && (
            <Field name="current-page" label={t('currentPage')}>
              <Page url={current.url} title={current.title} />
            </Field>
          )}
          {d?.referrer && (
            <Field name="referrer" label={t('referrer')}>
              <Page url={d.referrer} />
            </Field>
          )}
          <Field name="last-seen" label={t('lastSeen')}>
            {seenAt ? <time dateTime={seenAt}>{clock(seenAt)}</time> : t('never')}
          </Field>
          {d?.csat && (
            <Field name="rating" label={t('rating')}>
              {'★'.repeat(d.csat.score)}
              {'☆'.repeat(5 - d.csat.score)}
              {d.csat.comment ? ` — ${d.csat.comment}` : ''}
            </Field>
          )}
        </dl>
      </aside>
      <aside aria-label={t('client')}>
        <h3>{t('client')}</h3>
        {d ? <ClientSection details={d} contact={c} /> : <p class="hint">{t('loading')}</p>}
        {d && (
          <>
            <h3>{t('earlier')}</h3>
            {d.earlier.length ? (
              <ul class="earlier" aria-label={t('earlier')}>
                {d.earlier.map((e) => (
                  <li key={e.id} data-contact-id={e.id}>
                    <span class="row">
                      <time dateTime={e.createdAt}>{clock(e.createdAt)}</time>
                      <span class={`badge ch-${e.channel}`}>{t(channelKey(e.channel))}</span>
                      <span class={`badge s-${e.status}`}>{t(statusKey(e.status))}</span>
                      {e.csatScore !== null && <span>{'★'.repeat(e.csatScore)}</span>}
                    </span>
                    {e.lastMessage && <span class="preview">{e.lastMessage}</span>}
                  </li>
                ))}
              </ul>
            ) : (
              <p class="hint">{t('noEarlier')}</p>
            )}
          </>
        )}
      </aside>
    </div>
  );
}

function ClientSection({ details: d, contact: c }: { details: ContactDetails; contact: ContactSummary }) {
  const [mode, setMode] = useState<'none' | 'create' | 'link'>('none');
  // Another contact, or a client found meanwhile: start again from the card.
  useEffect(() => setMode('none'), [c.id, d.client?.id]);
  return (
    <div class="client-section">
      {d.client ? <ClientCard client={d.client} contact={c} /> : <p class="hint">{t('noClient')}</p>}
      {mode === 'none' && (
        <div class="buttons">
          {!d.client && (
            <button type="button" onClick={() => setMode('create')}>
              {t('createClient')}
            </button>
          )}
          <button type="button" onClick={() => setMode('link')}>
            {d.client ? t('changeClient') : t('linkClient')}
          </button>
        </div>
      )}
      {mode === 'create' && <CreateClient contact={c} onDone={() => setMode('none')} />}
      {mode === 'link' && <LinkClient contact={c} onDone={() => setMode('none')} />}
    </div>
  );
}

function ClientCard({ client: k, contact: c }: { client: Client; contact: ContactSummary }) {
  const orders = k.orders.filter((o) => o.open);
  const missing = missingPoints(c.answers, k);
  const where = [k.city, k.country].filter(Boolean).join(', ');
  return (
    <section class="client-card" aria-label={k.name} data-client-id={k.id}>
      <div class="client-head">
        {safePhoto(k.photoUrl) ? (
          <img class="photo" src={k.photoUrl} alt={k.name} width={48} height={48} />
        ) : (
          <span class="photo no-photo" aria-hidden="true">
            {initials(k.name)}
          </span>
        )}
        <div>
          <p class="client-name">{k.name}</p>
          {k.company && <p class="company">{k.company}</p>}
          <span class={`cat cat-${k.category}`} data-category={k.category}>
            {t(`cat_${k.category}` as Key)}
          </span>
        </div>
      </div>
      <dl>
        {k.note && (
          <Field name="note" label={t('note')}>
            {k.note}
          </Field>
        )}
        {where && (
          <Field name="location" label={t('location')}>
            {where}
          </Field>
        )}
        {k.phones.length > 0 && (
          <Field name="phones" label={t('phones')}>
            <span dir="ltr">{k.phones.join(', ')}</span>
          </Field>
        )}
        {k.emails.length > 0 && (
          <Field name="emails" label={t('emails')}>
            {k.emails.join(', ')}
          </Field>
        )}
      </dl>
      <h4>{t('orders')}</h4>
      {orders.length ? (
        <ul class="orders" aria-label={t('orders')}>
          {orders.map((o) => (
            <li key={o.id} data-order-id={o.id}>
              <span class="order-title">{o.title}</span>
              <span data-field="stage">
                {t('stage')}: {o.stage}
              </span>
              <span data-field="responsible">
                {t('responsible')}: {o.responsibleName ?? t('never')}
              </span>
              <span data-field="amount-due">
                {t('amountDue')}: {money(o.amountDue, o.currency)}
              </span>
            </li>
          ))}
        </ul>
      ) : (
        <p class="hint">{t('noOrders')}</p>
      )}
      {(missing.emails.length > 0 || missing.phones.length > 0) && (
        <div class="buttons">
          {missing.emails.map((v) => (
            <button key={v} type="button" onClick={() => void ctl.addToClient(c.id, k.id, 'email', v)}>
              {tf('addToClient', { value: v })}
            </button>
          ))}
          {missing.phones.map((v) => (
            <button key={v} type="button" onClick={() => void ctl.addToClient(c.id, k.id, 'phone', v)}>
              {tf('addToClient', { value: v })}
            </button>
          ))}
        </div>
      )}
    </section>
  );
}

const splitList = (v: string): string[] =>
  v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

function CreateClient({ contact, onDone }: { contact: ContactSummary; onDone: () => void }) {
  const draft = clientDraft(contact);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="client-form"
      aria-label={t('createClient')}
      onSubmit={async (e) => {
        e.preventDefault();
        const data = new FormData(e.currentTarget);
        const text = (k: string) => String(data.get(k) ?? '').trim();
        const company = text('company');
        const emails = splitList(text('emails'));
        const phones = splitList(text('phones'));
        setBusy(true);
        const ok = await ctl.createClientFor(contact.id, {
          name: text('name'),
          category: text('category') as 'prospect',
          ...(company ? { company } : {}),
          ...(emails.length ? { emails } : {}),
          ...(phones.length ? { phones } : {}),
        });
        setBusy(false);
        if (ok) onDone();
      }}
    >
      <label>
        {t('name')}
        <input name="name" required maxLength={200} defaultValue={draft.name} />
      </label>
      <label>
        {t('company')}
        <input name="company" maxLength={200} defaultValue={draft.company ?? ''} />
      </label>
      <label>
        {t('emails')}
        <input name="emails" defaultValue={(draft.emails ?? []).join(', ')} />
      </label>
      <label>
        {t('phones')}
        <input name="phones" defaultValue={(draft.phones ?? []).join(', ')} />
      </label>
      <label>
        {t('category')}
        <select name="category">
          {(['prospect', 'regular', 'vip', 'problem'] as const).map((k) => (
            <option key={k} value={k}>
              {t(`cat_${k}`)}
            </option>
          ))}
        </select>
      </label>
      <div class="buttons">
        <button type="submit" class="primary" disabled={busy}>
          {t('save')}
        </button>
        <button type="button" onClick={onDone}>
          {t('cancel')}
        </button>
      </div>
    </form>
  );
}

const SEARCH_DELAY_MS = 250; // wait for a pause in typing before asking the server

function LinkClient({ contact, onDone }: { contact: ContactSummary; onDone: () => void }) {
  const [q, setQ] = useState('');
  const [results, setResults] = useState<Client[] | null>(null);
  useEffect(() => {
    const query = q.trim();
    if (!query) return setResults(null);
    let live = true;
    const id = setTimeout(async () => {
      const found = await ctl.searchClients(query);
      if (live) setResults(found);
    }, SEARCH_DELAY_MS);
    return () => {
      live = false;
      clearTimeout(id);
    };
  }, [q]);
  return (
    <div class="client-form">
      <input
        type="search"
        aria-label={t('searchClients')}
        placeholder={t('searchClients')}
        value={q}
        // biome-ignore lint/a11y/noAutofocus: the operator just asked to search
        autoFocus
        onInput={(e) => setQ(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            onDone();
          }
        }}
      />
      {results && (
        <ul class="results" aria-label={t('searchClients')}>
          {results.map((k) => (
            <li key={k.id} data-client-id={k.id}>
              <span>
                <span class="client-name">{k.name}</span>
                {k.company && <span class="company"> · {k.company}</span>}
                <span class="preview">{[...k.emails, ...k.phones].join(', ')}</span>
              </span>
              <button
                type="button"
                onClick={async () => {
                  if (await ctl.linkClient(contact.id, k)) onDone();
                }}
              >
                {t('link')}
              </button>
            </li>
          ))}
          {results.length === 0 && <li class="hint">{t('noResults')}</li>}
        </ul>
      )}
      <button type="button" onClick={onDone}>
        {t('cancel')}
      </button>
    </div>
  );
}
