import { render } from 'preact';
import { App } from './app.js';
import { loadPageConfig } from './page-config.js';
import './styles.css';

const root = document.getElementById('app');
if (root) {
  loadPageConfig(location.search).then(
    (config) => render(<App config={config} />, root),
    (error: Error) => {
      root.textContent = `The chat could not start: ${error.message}`;
    },
  );
}
