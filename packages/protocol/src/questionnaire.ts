/**
 * The questionnaire check the widget runs before `start` and the server runs again on it: one
 * function, so both refuse the same answers for the same reasons.
 */
import type { QuestionnaireField } from './schemas.js';

export type AnswerProblem = 'required' | 'email' | 'phone' | 'choice' | 'unknown';

export interface AnswerCheck {
  /** Trimmed answers of known fields; empty optional answers are left out. */
  answers: Record<string, string>;
  /** One entry per refused field, in questionnaire order (unknown fields last). */
  problems: { field: string; problem: AnswerProblem }[];
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** Loose on purpose: the server normalizes phones with libphonenumber-js after this check. */
const PHONE = /^\+?[\d\s().-]{5,20}$/;

export const isEmail = (v: string): boolean => v.length <= 254 && EMAIL.test(v);
export const looksLikePhone = (v: string): boolean => PHONE.test(v) && /\d{5}/.test(v.replace(/\D/g, ''));

export function checkAnswers(
  fields: readonly QuestionnaireField[],
  raw: Record<string, string>,
): AnswerCheck {
  const answers: Record<string, string> = {};
  const problems: AnswerCheck['problems'] = [];
  for (const f of fields) {
    const v = (raw[f.name] ?? '').trim();
    if (!v) {
      if (f.required) problems.push({ field: f.name, problem: 'required' });
      continue;
    }
    const problem: AnswerProblem | null =
      f.kind === 'email' && !isEmail(v)
        ? 'email'
        : f.kind === 'phone' && !looksLikePhone(v)
          ? 'phone'
          : f.kind === 'choice' && !(f.options ?? []).includes(v)
            ? 'choice'
            : null;
    if (problem) problems.push({ field: f.name, problem });
    else answers[f.name] = v;
  }
  const known = new Set(fields.map((f) => f.name));
  for (const key of Object.keys(raw)) if (!known.has(key)) problems.push({ field: key, problem: 'unknown' });
  return { answers, problems };
}
