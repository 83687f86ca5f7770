import { createTheme, Modal, Notification } from '@mantine/core';
import { messages } from '../messages.ts';

/**
 * One type scale, one spacing scale: Mantine's defaults. Values that would need CSS variables different
 * from the default theme's go in console.css, as the provider writes no <style> element.
 */
export const theme = createTheme({
  primaryColor: 'blue',
  defaultRadius: 'sm',
  components: {
    // The close button has an icon only: it needs a name for screen readers. No scroll lock: it writes a
    // <style> element (react-remove-scroll), which the Content-Security-Policy refuses.
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': messages.common.close }, lockScroll: false } }),
    Notification: Notification.extend({ defaultProps: { closeButtonProps: { 'aria-label': messages.common.close } } }),
  },
});
