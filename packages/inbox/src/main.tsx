import { render } from 'preact';
import './styles.css';
import { App } from './app.js';
import { isRtl, locale, pickLocale, setLocale } from './i18n.js';

// ?lang=xx overrides the browser's languages (handy for checking the right-to-left layout).
const forced = new URLSearchParams(location.search).get('lang');
setLocale(forced ?? pickLocale(navigator.languages?.length ? navigator.languages : [navigator.language]));
document.documentElement.lang = locale;
document.documentElement.dir = isRtl(locale) ? 'rtl' : 'ltr';

render(<App />, document.getElementById('app')!);
