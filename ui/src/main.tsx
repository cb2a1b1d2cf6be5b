import { render } from 'preact';
import { App } from './app';
import { start } from './store';
import { wsUrl } from './protocol';
import './style.css';

start(wsUrl(location));
render(<App />, document.getElementById('app')!);
