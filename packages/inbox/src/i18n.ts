/** The inbox's strings. English is the reference; a missing key falls back to it. */
const en = {
  email: 'E-mail',
  password: 'Password',
  login: 'Log in',
  logout: 'Log out',
  status: 'Status',
  online: 'Online',
  away: 'Away',
  offline: 'Offline',
  queue: 'Queue',
  all: 'All',
  mine: 'Mine',
  unassigned: 'Unassigned',
  filter: 'Filter',
  reply: 'Reply',
  send: 'Send',
  accept: 'Accept',
  close: 'Close',
  dismiss: 'Dismiss',
  retry: 'Retry',
  notSent: 'Not sent',
  sending: 'Sending…',
  typing: 'Visitor is typing…',
  seenUpTo: 'Seen',
  empty: 'No open conversations',
  pick: 'Select a conversation',
  loading: 'Loading…',
  connecting: 'Connecting…',
  reconnecting: 'Connection lost, reconnecting…',
  waiting: 'waiting',
  visitor: 'Visitor',
  answers: 'Answers',
  page: 'Page',
  lastSeen: 'Last seen',
  never: '—',
  loginFailed: 'Could not log in',
  tooMany: 'Too many attempts, try again later',
  netError: 'Network error',
  s_new: 'New',
  s_queued: 'Queued',
  s_assigned: 'Assigned',
  s_active: 'Active',
  s_closed: 'Closed',
  s_abandoned: 'Abandoned',
};
export type Key = keyof typeof en;

const ru: Partial<Record<Key, string>> = {
  email: 'E-mail',
  password: 'Пароль',
  login: 'Войти',
  logout: 'Выйти',
  status: 'Статус',
  online: 'В сети',
  away: 'Отошёл',
  offline: 'Не в сети',
  queue: 'Очередь',
  all: 'Все',
  mine: 'Мои',
  unassigned: 'Без оператора',
  filter: 'Фильтр',
  reply: 'Ответ',
  send: 'Отправить',
  accept: 'Принять',
  close: 'Закрыть',
  dismiss: 'Скрыть',
  retry: 'Повторить',
  notSent: 'Не отправлено',
  sending: 'Отправка…',
  typing: 'Посетитель печатает…',
  seenUpTo: 'Прочитано',
  empty: 'Нет открытых обращений',
  pick: 'Выберите диалог',
  loading: 'Загрузка…',
  connecting: 'Подключение…',
  reconnecting: 'Связь потеряна, переподключение…',
  waiting: 'ждёт',
  visitor: 'Посетитель',
  answers: 'Анкета',
  page: 'Страница',
  lastSeen: 'Был в сети',
  loginFailed: 'Не удалось войти',
  tooMany: 'Слишком много попыток, попробуйте позже',
  netError: 'Ошибка сети',
  s_new: 'Новый',
  s_queued: 'В очереди',
  s_assigned: 'Назначен',
  s_active: 'Активен',
  s_closed: 'Закрыт',
  s_abandoned: 'Ушёл',
};

const ar: Partial<Record<Key, string>> = {
  email: 'البريد الإلكتروني',
  password: 'كلمة المرور',
  login: 'تسجيل الدخول',
  logout: 'تسجيل الخروج',
  status: 'الحالة',
  online: 'متصل',
  away: 'بعيد',
  offline: 'غير متصل',
  queue: 'قائمة الانتظار',
  all: 'الكل',
  mine: 'محادثاتي',
  unassigned: 'غير مسندة',
  filter: 'تصفية',
  reply: 'الرد',
  send: 'إرسال',
  accept: 'قبول',
  close: 'إغلاق',
  dismiss: 'إخفاء',
  retry: 'إعادة المحاولة',
  notSent: 'لم يُرسل',
  sending: 'جارٍ الإرسال…',
  typing: 'الزائر يكتب…',
  seenUpTo: 'تمت القراءة',
  empty: 'لا توجد محادثات مفتوحة',
  pick: 'اختر محادثة',
  loading: 'جارٍ التحميل…',
  connecting: 'جارٍ الاتصال…',
  reconnecting: 'انقطع الاتصال، جارٍ إعادة الاتصال…',
  waiting: 'ينتظر',
  visitor: 'الزائر',
  answers: 'الإجابات',
  page: 'الصفحة',
  lastSeen: 'آخر ظهور',
  loginFailed: 'تعذر تسجيل الدخول',
  tooMany: 'محاولات كثيرة، حاول لاحقًا',
  netError: 'خطأ في الشبكة',
  s_new: 'جديدة',
  s_queued: 'في الانتظار',
  s_assigned: 'مسندة',
  s_active: 'نشطة',
  s_closed: 'مغلقة',
  s_abandoned: 'متروكة',
};

const dictionaries: Record<string, Partial<Record<Key, string>>> = { en, ru, ar };
const RTL = new Set(['ar']);

/** Picks the first supported language of the given tags (e.g. navigator.languages); English otherwise. */
export function pickLocale(tags: readonly string[]): string {
  for (const tag of tags) {
    const lang = tag.toLowerCase().split('-')[0] ?? '';
    if (lang in dictionaries) return lang;
  }
  return 'en';
}

export let locale = 'en';
let dict: Partial<Record<Key, string>> = en;

export function setLocale(lang: string): void {
  locale = lang in dictionaries ? lang : 'en';
  dict = dictionaries[locale] ?? en;
}

export const isRtl = (lang: string): boolean => RTL.has(lang);

export function t(key: Key): string {
  return dict[key] ?? en[key];
}
