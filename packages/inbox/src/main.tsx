import { render } from 'preact';
import './styles.css';
import { App } from './app.js';

// The controller (imported by the app) picks the language and sets `lang` and `dir` on <html>.
render(<App />, document.getElementById('app')!);
