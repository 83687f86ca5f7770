import { Button, CopyButton as MantineCopyButton, type MantineSize } from '@mantine/core';

/**
 * Copies `value`; for a few seconds the button says so, in words and colour. A button's changed label is
 * not announced, so the same words also go to a polite live region (role="status", in the page before the
 * click, as screen readers need) that is visually hidden.
 */
export function CopyButton({ value, label, copiedLabel, size }: { value: string; label: string; copiedLabel: string; size?: MantineSize }) {
  return (
    <MantineCopyButton value={value} timeout={4000}>
      {({ copied, copy }) => (
        <>
          <Button size={size} variant={copied ? 'filled' : 'light'} color={copied ? 'teal.9' : undefined} onClick={copy}>
            {copied ? copiedLabel : label}
          </Button>
          <span role="status" className="visually-hidden">
            {copied ? copiedLabel : ''}
          </span>
        </>
      )}
    </MantineCopyButton>
  );
}
