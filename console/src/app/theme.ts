import { createTheme } from '@mantine/core';

/**
 * One type scale, one spacing scale: Mantine's defaults, denser. Values that would need CSS variables
 * different from the default theme's go in console.css, as the provider writes no <style> element.
 */
export const theme = createTheme({
  primaryColor: 'blue',
  defaultRadius: 'sm',
});
