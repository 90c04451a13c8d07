import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { createHttpApi } from './lib/api.ts';
import { loadConfig } from './lib/config.ts';
import { apiBase } from './lib/endpoint.ts';
import './styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('index.html lacks #root');

const { config, warning } = await loadConfig();
const api = createHttpApi(apiBase(config.endpoint, document.baseURI));

createRoot(container).render(
  <StrictMode>
    <App api={api} storage={window.localStorage} {...(warning ? { warning } : {})} />
  </StrictMode>,
);
