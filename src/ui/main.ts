import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { registerServiceWorker } from './updates.svelte';

mount(App, { target: document.getElementById('app')! });
registerServiceWorker();
