/** The open conversation: header with its actions, the message log, the composer, the transfer dialog. */
import type { ContactSummary, Message, User } from '@parley/protocol';
import { useEffect, useRef, useState } from 'preact/hooks';
import * as ctl from './controller.js';
import { clock } from './format.js';
import { channelKey, statusKey, t, tf } from './i18n.js';
import { VisitorPanel } from './panel.js';
import { canAccept, canDelete, type Pending, type State } from './store.js';

export function Conversation({
  state,
  contact: c,
  onTransfer,
}: {
  state: State;
  contact: ContactSummary;
  onTransfer: () => void;
}) {
  const conv = state.conversations[c.id];
  const messages = conv?.messages ?? [];
  const pending = state.pending.filter((p) => p.contactId === c.id);
  const seen = state.seen[c.id] ?? 0;
  const closed = c.status === 'closed';
  const log = useRef<HTMLDivElement>(null);
  const count = messages.length + pending.length;
  useEffect(() => {
    const el = log.current;
    if (el && count >= 0) el.scrollTop = el.scrollHeight;
  }, [count]);
  const byId = new Map(messages.map((m) => [m.id, m]));
  const quoting = state.quoting[c.id];
  const quoted = quoting ? byId.get(quoting) : undefined;
  const lastAt = c.lastMessageAt;
  const seenAt = state.details[c.id]?.contact.visitorLastSeenAt ?? c.visitorLastSeenAt;
  // Supervisors and admins watch everyone's conversations, and may take one over or reassign it.
  const me = state.user?.id;
  const elsewhere = !closed && !!c.assigneeId && c.assigneeId !== me;
  const supervising = elsewhere && (state.user?.role === 'supervisor' || state.user?.role === 'admin');
  const assignee = elsewhere
    ? (state.operators.find((o) => o.id === c.assigneeId)?.name ?? t('someoneElse'))
    : null;
  return (
    <section class="conv" aria-label={c.visitorName}>
      <header class="conv-head">
        <h2>{c.visitorName}</h2>
        <span class={`badge s-${c.status}`}>{t(statusKey(c.status))}</span>
        <span class={`badge ch ch-${c.channel}`} data-channel={c.channel}>
          {t(channelKey(c.channel))}
          {c.callbackPhone ? ` ${c.callbackPhone}` : ''}
        </span>
        <span class="times">
          <span data-field="last-message">
            {t('lastMessage')}: {lastAt ? <time dateTime={lastAt}>{clock(lastAt)}</time> : t('never')}
          </span>
          <span data-field="visitor-seen">
            {t('visitorSeen')}: {seenAt ? <time dateTime={seenAt}>{clock(seenAt)}</time> : t('never')}
          </span>
        </span>
        {assignee && (
          <span class="badge assignee" data-field="assignee">
            {tf('assignedTo', { name: assignee })}
          </span>
        )}
        <span class="grow" />
        {supervising && (
          <button type="button" class="primary" onClick={() => ctl.takeOver(c.id)}>
            {t('takeOver')}
          </button>
        )}
        {canAccept(c) && (
          <button type="button" class="primary" onClick={() => ctl.accept(c.id)}>
            {t('accept')}
          </button>
        )}
        {!closed && (
          <button type="button" onClick={onTransfer}>
            {supervising ? t('reassign') : t('transfer')}
          </button>
        )}
        {!closed && (
          <button type="button" onClick={() => ctl.close(c.id)}>
            {t('close')}
          </button>
        )}
      </header>
      {c.handoffNote && !closed && (
        <p class="handoff" data-field="handoff-note">
          <strong>{t('handoffNote')}:</strong> <span dir="auto">{c.handoffNote}</span>
        </p>
      )}
      <div class="conv-body">
        <div class="thread">
          <div role="log" class="log" ref={log}>
            {conv && !conv.loaded && messages.length === 0 && <p class="hint">{t('loading')}</p>}
            {messages.map((m) => (
              <MessageItem
                key={m.id}
                m={m}
                quoted={m.quoteId ? byId.get(m.quoteId) : undefined}
                seen={seen}
                user={state.user}
                closed={closed}
              />
            ))}
            {pending.map((p) => (
              <PendingItem key={p.clientId} p={p} quoted={p.quoteId ? byId.get(p.quoteId) : undefined} />
            ))}
          </div>
          {state.typing[c.id] && (
            <p class="typing" role="status">
              {t('typing')}
            </p>
          )}
          <Composer contactId={c.id} text={state.drafts[c.id] ?? ''} quoted={quoted} disabled={closed} />
        </div>
        <VisitorPanel state={state} contact={c} />
      </div>
    </section>
  );
}

const bodyOf = (m: Message): string => (m.deletedAt ? t('deleted') : m.body);

function Quote({ m }: { m: Message }) {
  return (
    <blockquote data-quote-id={m.id} class={m.deletedAt ? 'deleted' : undefined}>
      {bodyOf(m)}
    </blockquote>
  );
}

function MessageItem({
  m,
  quoted,
  seen,
  user,
  closed,
}: {
  m: Message;
  quoted: Message | undefined;
  seen: number;
  user: User | null;
  closed: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const mine = m.author.kind === 'operator';
  const read = mine && m.seq <= seen;
  const deleted = m.deletedAt !== null;
  return (
    <div
      class={`msg${deleted ? ' deleted' : ''}`}
      data-author={m.author.kind}
      data-seq={m.seq}
      data-id={m.id}
      data-seen={read ? 'true' : undefined}
      data-deleted={deleted ? 'true' : undefined}
    >
      {m.author.kind !== 'system' && <span class="who">{m.author.name}</span>}
      {quoted && <Quote m={quoted} />}
      {deleted ? <p class="gone">{t('deleted')}</p> : <p class="body">{m.body}</p>}
      <span class="meta">
        <time dateTime={m.createdAt}>{clock(m.createdAt)}</time>
        {mine && !deleted && (
          <span class="state" data-state={read ? 'read' : 'sent'}>
            {read ? ` ✓✓ ${t('read')}` : ` ✓ ${t('sent')}`}
          </span>
        )}
      </span>
      {!deleted && m.author.kind !== 'system' && (
        <span class="actions">
          {!closed && (
            <button type="button" class="link" onClick={() => ctl.quote(m.contactId, m.id)}>
              {t('quote')}
            </button>
          )}
          {canDelete(m, user) && !asking && (
            <button type="button" class="link danger" onClick={() => setAsking(true)}>
              {t('delete')}
            </button>
          )}
        </span>
      )}
      {asking && !deleted && (
        <span class="confirm">
          {t('deleteAsk')}{' '}
          <button
            type="button"
            class="danger"
            onClick={() => {
              setAsking(false);
              ctl.deleteMessage(m.contactId, m.id);
            }}
          >
            {t('deleteYes')}
          </button>{' '}
          <button type="button" onClick={() => setAsking(false)}>
            {t('deleteNo')}
          </button>
        </span>
      )}
    </div>
  );
}

function PendingItem({ p, quoted }: { p: Pending; quoted: Message | undefined }) {
  return (
    <div class="msg pending" data-author="operator" data-pending={p.failed ? 'failed' : 'true'}>
      {quoted && <Quote m={quoted} />}
      <p class="body">{p.body}</p>
      <span class="meta">
        {p.failed ? (
          <>
            {t('notSent')}{' '}
            <button type="button" class="link" onClick={() => ctl.retry(p.clientId)}>
              {t('retry')}
            </button>
          </>
        ) : (
          t('sending')
        )}
      </span>
    </div>
  );
}

function Composer({
  contactId,
  text,
  quoted,
  disabled,
}: {
  contactId: string;
  text: string;
  quoted: Message | undefined;
  disabled: boolean;
}) {
  const submit = () => {
    const body = text.trim();
    if (!body || disabled) return;
    ctl.reply(contactId, body);
  };
  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      {quoted && (
        <div class="quoting" data-quote-id={quoted.id}>
          <span class="label">{t('quoting')}:</span> <q>{bodyOf(quoted)}</q>
          <button
            type="button"
            class="link"
            aria-label={t('cancelQuote')}
            onClick={() => ctl.quote(contactId, null)}
          >
            ×
          </button>
        </div>
      )}
      <div class="compose-row">
        <textarea
          id="reply"
          aria-label={t('reply')}
          value={text}
          maxLength={4000}
          rows={3}
          disabled={disabled}
          onInput={(e) => {
            const v = e.currentTarget.value;
            ctl.setDraft(contactId, v);
            if (v) ctl.typing(contactId);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.isComposing) {
              e.preventDefault();
              submit();
            } else if (e.key === 'Escape') {
              if (quoted) ctl.quote(contactId, null);
              else e.currentTarget.blur();
              ctl.stopTyping();
            }
          }}
        />
        <button type="submit" class="primary" disabled={disabled}>
          {t('send')}
        </button>
      </div>
    </form>
  );
}

/** Hand the conversation to a colleague (online ones can take it) or back to a team's queue. */
export function TransferDialog({
  state,
  contact,
  onClose,
}: {
  state: State;
  contact: ContactSummary;
  onClose: () => void;
}) {
  const me = state.user?.id;
  const others = state.operators.filter((o) => o.id !== me && o.id !== contact.assigneeId);
  const teams = [...new Set(state.operators.flatMap((o) => o.skills))].sort();
  const [mode, setMode] = useState<'operator' | 'team'>('operator');
  const [operatorId, setOperatorId] = useState(others[0]?.id ?? '');
  const [skill, setSkill] = useState(teams[0] ?? '');
  const [note, setNote] = useState('');
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => first.current?.focus(), []);
  const ok = mode === 'operator' ? !!operatorId : !!skill;
  return (
    <div class="overlay">
      <form
        class="dialog"
        role="dialog"
        aria-modal="true"
        aria-label={t('transferTitle')}
        onSubmit={(e) => {
          e.preventDefault();
          if (!ok) return;
          ctl.transfer(contact.id, mode === 'operator' ? { operatorId } : { skill }, note);
          onClose();
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            onClose();
          }
        }}
      >
        <h2>{t('transferTitle')}</h2>
        <label>
          <input
            ref={first}
            type="radio"
            name="mode"
            checked={mode === 'operator'}
            onChange={() => setMode('operator')}
          />{' '}
          {t('toOperator')}
        </label>
        <label>
          <input type="radio" name="mode" checked={mode === 'team'} onChange={() => setMode('team')} />{' '}
          {t('toTeam')}
        </label>
        {mode === 'operator' ? (
          others.length ? (
            <select
              aria-label={t('operator')}
              value={operatorId}
              onChange={(e) => setOperatorId(e.currentTarget.value)}
            >
              {others.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name} — {t(o.status)}
                </option>
              ))}
            </select>
          ) : (
            <p class="hint">{t('noOperators')}</p>
          )
        ) : teams.length ? (
          <select aria-label={t('team')} value={skill} onChange={(e) => setSkill(e.currentTarget.value)}>
            {teams.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        ) : (
          <p class="hint">{t('noTeams')}</p>
        )}
        <label for="transfer-note">{t('transferNote')}</label>
        <textarea
          id="transfer-note"
          rows={3}
          maxLength={1000}
          value={note}
          onInput={(e) => setNote(e.currentTarget.value)}
        />
        <div class="buttons">
          <button type="submit" class="primary" disabled={!ok}>
            {t('transfer')}
          </button>
          <button type="button" onClick={onClose}>
            {t('cancel')}
          </button>
        </div>
      </form>
    </div>
  );
}
