import { createMemoryStorage } from './memory.storage.js';
import { testStorage } from './storage.contract.js';

testStorage('memory', () => createMemoryStorage());
