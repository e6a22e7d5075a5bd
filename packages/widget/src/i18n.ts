/** UI strings. One `|`-separated line per language keeps the chunk small; order follows KEYS. */
const KEYS = [
  'open',
  'close',
  'on',
  'off',
  'start',
  'msg',
  'send',
  'queue',
  'joined',
  'typing',
  'seen',
  'ended',
  'again',
  'req',
  'email',
  'sending',
  'conn',
  'fail',
  'op',
  'unsent',
  'wait',
] as const;
export type Strings = Record<(typeof KEYS)[number], string>;

const LINES: Record<string, string> = {
  en: "Open chat|Close chat|We're online|We'll reply as soon as we can|Start chat|Message|Send|You are number {n} in the queue|{name} joined the chat|{name} is typing…|Seen|The conversation has ended|Start a new conversation|This field is required|Enter a valid e-mail address|Sending…|Connecting…|The chat is unavailable right now|Operator|Not sent|about {m} min",
  ru: 'Открыть чат|Закрыть чат|Мы онлайн|Мы ответим, как только сможем|Начать чат|Сообщение|Отправить|Ваш номер в очереди: {n}|{name} в чате|{name} печатает…|Прочитано|Разговор завершён|Начать новый разговор|Обязательное поле|Введите корректный e-mail|Отправка…|Подключение…|Чат сейчас недоступен|Оператор|Не отправлено|примерно {m} мин',
  ar: 'فتح الدردشة|إغلاق الدردشة|نحن متصلون الآن|سنرد عليك في أقرب وقت ممكن|ابدأ الدردشة|رسالة|إرسال|ترتيبك في قائمة الانتظار: {n}|انضم {name} إلى الدردشة|{name} يكتب…|تمت القراءة|انتهت المحادثة|ابدأ محادثة جديدة|هذا الحقل مطلوب|أدخل بريدًا إلكترونيًا صالحًا|جارٍ الإرسال…|جارٍ الاتصال…|الدردشة غير متاحة حاليًا|الموظف|لم تُرسل|حوالي {m} دقيقة',
  vi: 'Mở trò chuyện|Đóng trò chuyện|Chúng tôi đang trực tuyến|Chúng tôi sẽ trả lời sớm nhất có thể|Bắt đầu trò chuyện|Tin nhắn|Gửi|Bạn đang ở vị trí số {n} trong hàng đợi|{name} đã tham gia cuộc trò chuyện|{name} đang nhập…|Đã xem|Cuộc trò chuyện đã kết thúc|Bắt đầu cuộc trò chuyện mới|Trường này là bắt buộc|Nhập địa chỉ e-mail hợp lệ|Đang gửi…|Đang kết nối…|Hiện không thể trò chuyện|Nhân viên|Chưa gửi được|khoảng {m} phút',
  az: 'Çatı aç|Çatı bağla|Biz onlaynıq|İmkan olan kimi cavab verəcəyik|Çata başla|Mesaj|Göndər|Növbədəki yeriniz: {n}|{name} çata qoşuldu|{name} yazır…|Oxundu|Söhbət başa çatdı|Yeni söhbətə başla|Bu sahə mütləqdir|Düzgün e-poçt ünvanı daxil edin|Göndərilir…|Qoşulur…|Çat hazırda əlçatan deyil|Operator|Göndərilmədi|təxminən {m} dəq',
  hu: 'Csevegés megnyitása|Csevegés bezárása|Elérhetők vagyunk|Amint tudunk, válaszolunk|Csevegés indítása|Üzenet|Küldés|Helye a sorban: {n}.|{name} csatlakozott a csevegéshez|{name} éppen ír…|Látta|A beszélgetés véget ért|Új beszélgetés indítása|Kötelező mező|Adjon meg érvényes e-mail-címet|Küldés…|Kapcsolódás…|A csevegés jelenleg nem érhető el|Munkatárs|Nem sikerült elküldeni|kb. {m} perc',
};

/** Picks the language from a BCP 47 tag ("ar-EG" → ar); unknown languages get English. */
export const lang = (locale: string): string => {
  const l = locale.toLowerCase().split(/[-_]/)[0] || '';
  return l in LINES ? l : 'en';
};

export const strings = (locale: string): Strings => {
  const parts = (LINES[lang(locale)] || '').split('|');
  return Object.fromEntries(KEYS.map((k, i) => [k, parts[i]])) as Strings;
};

/** Fills `{name}` placeholders. */
export const fill = (s: string, vars: Record<string, string | number>): string =>
  s.replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ''));
