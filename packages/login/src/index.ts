export const placeholder = 'login';
