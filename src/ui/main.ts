import { mount } from 'svelte';
import Shell from './Shell.svelte';
import './app.css';
import { registerServiceWorker } from './updates.svelte';

mount(Shell, { target: document.getElementById('app')! });
registerServiceWorker();
